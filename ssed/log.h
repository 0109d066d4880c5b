/*
 * log.h: the daemon's log, one line per record on stderr.
 * Plain text by default; --log-format=json gives one JSON object a line.
 */
#ifndef SSED_LOG_H
#define SSED_LOG_H

enum log_level { LOG_LVL_DEBUG, LOG_LVL_INFO, LOG_LVL_WARN, LOG_LVL_ERR };

void	log_init(int json, int verbose);
void	log_msg(enum log_level, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * A record with fields: "what k=v k=v" in text, one JSON object with the
 * same keys in --log-format=json.  A field with str NULL is a number.
 */
struct log_field {
	const char	*key;
	const char	*str;
	double		 num;
};
void	log_fields(enum log_level, const char *what,
	    const struct log_field *, size_t n);

#define log_debug(...)	log_msg(LOG_LVL_DEBUG, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_err(...)	log_msg(LOG_LVL_ERR, __VA_ARGS__)

#endif
