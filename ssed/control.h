/*
 * control.h: the Unix-domain control socket (msgpack, ssed-control(7)).
 */
#ifndef SSED_CONTROL_H
#define SSED_CONTROL_H

/* The default socket path for this user (CONTRACT section 4). */
const char	*control_default_path(void);
/* Bind and listen on path; 0 or -1 (logged). */
int		 control_start(const char *path);
void		 control_stop(void);
/* Members of group (NULL: none) may use the socket too; 0 or -1. */
int		 control_set_group(const char *group);
unsigned	 control_nclients(void);

#endif
