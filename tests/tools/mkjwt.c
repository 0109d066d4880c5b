/*
 * mkjwt.c: a test tool that makes JSON Web Tokens with libjwt, good and
 * deliberately bad, for the authentication tests.
 *
 * usage: mkjwt ALG KEYFILE CLAIMS-JSON
 *   ALG is HS256, HS384, HS512, RS256, ES256 or none; KEYFILE holds the
 *   HMAC secret (one trailing newline dropped) or the PEM private key,
 *   and is ignored for none.  Claims are given whole as JSON; the token is
 *   printed on stdout.
 */
#include "config.h"

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jwt.h>

int
main(int argc, char *argv[])
{
	unsigned char	 key[65536];
	size_t		 len = 0;
	jwt_alg_t	 alg;
	jwt_t		*jwt;
	FILE		*fp;
	char		*tok;

	if (argc != 4)
		errx(1, "usage: mkjwt ALG KEYFILE CLAIMS-JSON");
	alg = strcmp(argv[1], "none") == 0 ? JWT_ALG_NONE :
	    jwt_str_alg(argv[1]);
	if (alg == JWT_ALG_INVAL)
		errx(1, "unknown alg %s", argv[1]);
	if (alg != JWT_ALG_NONE) {
		if ((fp = fopen(argv[2], "r")) == NULL)
			err(1, "%s", argv[2]);
		len = fread(key, 1, sizeof(key), fp);
		fclose(fp);
		if (alg <= JWT_ALG_HS512 && len > 0 && key[len - 1] == '\n')
			len--;
	}
	if (jwt_new(&jwt) != 0 || jwt_add_grants_json(jwt, argv[3]) != 0)
		errx(1, "bad claims: %s", argv[3]);
	if (jwt_set_alg(jwt, alg, alg == JWT_ALG_NONE ? NULL : key,
	    (int)len) != 0)
		errx(1, "cannot use that key with %s", argv[1]);
	if ((tok = jwt_encode_str(jwt)) == NULL)
		errx(1, "cannot encode");
	printf("%s\n", tok);
	free(tok);
	jwt_free(jwt);
	return 0;
}
