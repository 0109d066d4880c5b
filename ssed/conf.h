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
	int			 auth_mode;	/* 0 none, 1 jwt */
	int			 log_json;
	int			 verbose;
};

/*
 * Fill cfg from argv.  Returns 0 to run, 1 when the program should exit
 * 0 (--help, --version), -1 on a usage error (already reported).
 */
int	config_parse(struct ssed_config *cfg, int argc, char *argv[]);
void	config_free(struct ssed_config *cfg);

#endif
