/*
 * auth.h: JWT verification (libjwt) and the permissions a token grants.
 *
 * Tokens are checked against one configured key family: an HMAC secret
 * (HS256/384/512) or a PEM public key (RS* / ES*).  The token's own
 * header never chooses the family, which is what defeats the classic
 * key-confusion attack (an HS256 token "signed" with the public key).
 */
#ifndef SSED_AUTH_H
#define SSED_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct auth_config {
	int		 none;		/* --auth=none */
	const char	*secret_file;	/* --jwt-secret-file */
	const char	*key_file;	/* --jwt-key */
	const char	*issuer;	/* --jwt-issuer */
	const char	*audience;	/* --jwt-audience */
	int		 leeway;	/* s */
	const char	*state_dir;	/* --state-dir */
};

/* What a verified token says. */
struct auth_token {
	char		*sub;
	int64_t		 exp;		/* unix s; 0 = none */
	json_t		*subscribe;	/* array of patterns, or NULL */
	json_t		*publish;
};

/*
 * Verification results; auth_code() names each for JSON and metrics.
 * The refusals of a token (401) are AUTH_MISSING and those after it;
 * AUTH_INTERNAL is a failure of ssed (500), not of the token.
 */
#define AUTH_RESULTS(X)							\
	X(OK,		"OK",			"token accepted")	\
	X(INTERNAL,	"INTERNAL",		"out of memory")	\
	X(MISSING,	"UNAUTHORIZED",		"a token is required (Authorization: Bearer or ?token=)") \
	X(MALFORMED,	"INVALID_TOKEN",	"the token is not a well-formed JWT") \
	X(BAD_ALG,	"INVALID_TOKEN",	"the token's algorithm is not accepted") \
	X(BAD_SIG,	"INVALID_TOKEN",	"the token's signature does not verify") \
	X(NO_SUB,	"INVALID_TOKEN",	"the token has no sub claim") \
	X(EXPIRED,	"TOKEN_EXPIRED",	"the token has expired") \
	X(NOT_YET,	"TOKEN_NOT_YET_VALID",	"the token is not valid yet (nbf)") \
	X(BAD_ISS,	"INVALID_ISSUER",	"the token's issuer is not accepted") \
	X(BAD_AUD,	"INVALID_AUDIENCE",	"the token's audience is not accepted")

enum auth_result {
#define X(name, code, msg) AUTH_##name,
	AUTH_RESULTS(X)
#undef X
	AUTH_NRESULTS
};

int		 auth_init(const struct auth_config *);
void		 auth_free(void);
int		 auth_is_none(void);
/* Seconds of clock skew allowed (--jwt-leeway). */
int		 auth_leeway(void);
enum auth_result auth_verify(const char *token, struct auth_token **out);
void		 auth_token_free(struct auth_token *);
const char	*auth_code(enum auth_result);
const char	*auth_message(enum auth_result);
/* 1 when tok (NULL under --auth=none) may read / publish topic. */
int		 auth_may_subscribe(const struct auth_token *, const char *topic);
int		 auth_may_publish(const struct auth_token *, const char *topic);
/* 1 when name matches pattern, where '*' matches any run of bytes. */
int		 auth_pattern_match(const char *pattern, const char *name);
/* 1 when ssed holds an HMAC key to mint with; else 0 with *why. */
int		 auth_can_mint(const char **why);
/* Mint a token with that key: a malloc'd string, or NULL. */
char		*auth_mint(const char *sub, json_t *subscribe, json_t *publish,
		    int64_t ttl);

#endif
