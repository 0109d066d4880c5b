/*
 * conf.h: ssed's settings, one table of long options (redis's
 * static_configs[]): the command line, --help and the man page follow it.
 */
#ifndef SSED_CONF_H
#define SSED_CONF_H

#include "auth.h"
#include "broker.h"
#include "http.h"

struct ssed_config {
	struct broker_config	 broker;
	struct http_config	 http;
	struct auth_config	 auth;
	const char		*control_path;
	const char		*control_group;
	const char		*config_file;
	int			 auth_mode;	/* 0 none, 1 jwt */
	int			 log_json;
	int			 verbose;
	char			**args;		/* file settings + argv, owned */
	size_t			  nargs;
	char			  err[512];	/* why parsing failed */
};

/*
 * Fill cfg from --config FILE (if given) and argv, the command line
 * winning.  Returns 0 to run, 1 when the program should exit 0 (--help,
 * --version), -1 on an error, described in cfg->err.  Strings in cfg
 * point into cfg->args: config_free() releases everything.
 */
int	config_parse(struct ssed_config *cfg, int argc, char *argv[]);
void	config_free(struct ssed_config *cfg);
void	config_error(struct ssed_config *cfg, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
