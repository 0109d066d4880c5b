/*
 * auth.c: JWT verification with libjwt, claims read with jansson.
 *
 * libjwt 1.10 checks signatures only; the registered claims (exp, nbf,
 * iss, aud) and the "sse" permissions are checked here.  The header's
 * alg is read before libjwt sees the token and must belong to the
 * configured key family.  Tokens are never logged.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "auth.h"
#include "log.h"

#define KEY_MAX		(64 * 1024)
#define TOKEN_MAX	(16 * 1024)

struct auth_state {
	int		 none;
	int		 hmac;		/* else a PEM public key */
	unsigned char	*key;
	size_t		 keylen;
	char		*issuer, *audience;
	int		 leeway;
	char		*secret_path;
};

static struct auth_state A;

static void
state_free(struct auth_state *st)
{
	free(st->key);
	free(st->issuer);
	free(st->audience);
	free(st->secret_path);
	memset(st, 0, sizeof(*st));
}

static const char *const codes[] = {
#define X(name, code, msg) code,
	AUTH_RESULTS(X)
#undef X
};
static const char *const messages[] = {
#define X(name, code, msg) msg,
	AUTH_RESULTS(X)
#undef X
};

const char *
auth_code(enum auth_result r)
{
	return r < AUTH_NRESULTS ? codes[r] : "INVALID_TOKEN";
}

const char *
auth_message(enum auth_result r)
{
	return r < AUTH_NRESULTS ? messages[r] : "invalid token";
}

int
auth_is_none(void)
{
	return A.none;
}

int
auth_leeway(void)
{
	return A.leeway;
}

/* Read a whole (small) file; strip one trailing newline for secrets. */
static int
read_file(const char *path, unsigned char **out, size_t *lenp)
{
	FILE		*fp;
	unsigned char	*buf = NULL;
	size_t		 len;
	int		 rc = -1;

	if ((fp = fopen(path, "re")) == NULL) {
		log_err("cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	if ((buf = malloc(KEY_MAX + 1)) == NULL)
		goto out;
	len = fread(buf, 1, KEY_MAX + 1, fp);
	if (ferror(fp) || len == 0 || len > KEY_MAX) {
		log_err("%s: empty, unreadable or larger than %d bytes", path,
		    KEY_MAX);
		goto out;
	}
	buf[len] = '\0';
	*out = buf;
	*lenp = len;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	fclose(fp);
	return rc;
}

/* mkdir -p, the last component mode 0700. */
static int
mkdir_p(const char *dir)
{
	char	 path[4096], *p;

	if (strlen(dir) >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(path, dir);
	/* "state/" is "state": its last part is made 0700 below. */
	for (p = path + strlen(path) - 1; p > path && *p == '/'; p--)
		*p = '\0';
	for (p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) == -1 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(path, 0700) == -1 && errno != EEXIST ? -1 : 0;
}

/*
 * First start without a key: make a random HS256 secret, mode 0600.  It
 * is written beside and linked into place whole, so that a crash never
 * leaves a jwt.secret that is empty; one left so by an older ssed could
 * sign nothing (an empty secret is refused) and is made anew.
 */
static int
load_or_make_secret(const char *dir)
{
	unsigned char	 rnd[32];
	char		 hex[65], path[4096], tmp[4200];
	struct stat	 st;
	size_t		 i;
	int		 fd;

	snprintf(path, sizeof(path), "%s/jwt.secret", dir);
	/* Its own name: two sseds starting at once must not share it. */
	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	if ((A.secret_path = strdup(path)) == NULL)
		return -1;
	if (stat(path, &st) == 0) {
		if (!S_ISREG(st.st_mode) || st.st_size > 0)
			return read_file(path, &A.key, &A.keylen);
		log_warn("%s is empty: making a new secret", path);
		unlink(path);
	}
	if (mkdir_p(dir) == -1) {
		log_err("cannot create the state directory %s: %s (use "
		    "--state-dir)", dir, strerror(errno));
		return -1;
	}
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd)) {
		log_err("getrandom: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {	/* mode 0600 */
		log_err("cannot create %s: %s", tmp, strerror(errno));
		return -1;
	}
	if (write(fd, hex, 64) != 64 || write(fd, "\n", 1) != 1 ||
	    fsync(fd) == -1) {
		log_err("cannot write %s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	close(fd);
	/* link(), not rename(): a secret another ssed made meanwhile stays. */
	if (link(tmp, path) == 0)
		log_info("generated a new HS256 secret in %s", path);
	else if (errno != EEXIST) {
		log_err("cannot create %s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	unlink(tmp);
	return read_file(path, &A.key, &A.keylen);
}

static int	auth_load(const struct auth_config *);

/* Load a new configuration; on failure the one in force stays. */
int
auth_init(const struct auth_config *cfg)
{
	struct auth_state old = A;

	memset(&A, 0, sizeof(A));
	if (auth_load(cfg) == -1) {
		state_free(&A);
		A = old;
		return -1;
	}
	state_free(&old);
	return 0;
}

/*
 * The --jwt-key file must be a key libjwt can verify with: it reads it
 * with OpenSSL's PEM_read_bio_PUBKEY(), and RS* and ES* need an RSA or an
 * EC key.  Checked here, so that a wrong file stops the start or the
 * reload instead of failing every token as a bad signature.
 */
static int
key_check(const char *path, const unsigned char *key, size_t len)
{
	EVP_PKEY	*k = NULL;
	BIO		*b;
	int		 type = EVP_PKEY_NONE;

	if (len <= INT_MAX && (b = BIO_new_mem_buf(key, (int)len)) != NULL) {
		k = PEM_read_bio_PUBKEY(b, NULL, NULL, NULL);
		BIO_free(b);
	}
	if (k != NULL) {
		type = EVP_PKEY_base_id(k);
		EVP_PKEY_free(k);
	}
	if (type == EVP_PKEY_RSA || type == EVP_PKEY_EC)
		return 0;
	log_err("%s: not an RSA or EC public key in PEM (\"-----BEGIN "
	    "PUBLIC KEY-----\", as openssl pkey -pubout writes)", path);
	return -1;
}

static int
auth_load(const struct auth_config *cfg)
{
	A.none = cfg->none;
	A.leeway = cfg->leeway;
	if ((cfg->issuer != NULL && (A.issuer = strdup(cfg->issuer)) == NULL) ||
	    (cfg->audience != NULL &&
	    (A.audience = strdup(cfg->audience)) == NULL))
		return -1;
	if (A.none)
		return 0;
	if (cfg->secret_file != NULL && cfg->key_file != NULL) {
		log_err("use --jwt-secret-file or --jwt-key, not both");
		return -1;
	}
	if (cfg->key_file != NULL) {
		A.hmac = 0;
		if (read_file(cfg->key_file, &A.key, &A.keylen) == -1)
			return -1;
		return key_check(cfg->key_file, A.key, A.keylen);
	}
	A.hmac = 1;
	if ((cfg->secret_file != NULL ? read_file(cfg->secret_file, &A.key,
	    &A.keylen) : load_or_make_secret(cfg->state_dir)) == -1)
		return -1;
	/* A secret is the file's text without its final line end. */
	while (A.keylen > 0 && (A.key[A.keylen - 1] == '\n' ||
	    A.key[A.keylen - 1] == '\r'))
		A.keylen--;
	if (A.keylen == 0) {
		log_err("%s holds no secret", cfg->secret_file != NULL ?
		    cfg->secret_file : A.secret_path);
		return -1;
	}
	return 0;
}

void
auth_free(void)
{
	state_free(&A);
}

/* base64url without padding; returns a malloc'd NUL-terminated buffer. */
static char *
b64url_decode(const char *s, size_t len)
{
	char		*out;
	size_t		 i, o = 0;
	unsigned	 acc = 0;
	int		 bits = 0;

	if ((out = malloc(len * 3 / 4 + 4)) == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		int c = s[i], v;

		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= 'a' && c <= 'z')
			v = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			v = c - '0' + 52;
		else if (c == '-' || c == '+')
			v = 62;
		else if (c == '_' || c == '/')
			v = 63;
		else if (c == '=')
			break;
		else {
			free(out);
			return NULL;
		}
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[o] = '\0';
	return out;
}

/* The alg of the token's header, or JWT_ALG_INVAL. */
static jwt_alg_t
header_alg(const char *token)
{
	const char	*dot = strchr(token, '.');
	char		*hdr;
	json_t		*o;
	jwt_alg_t	 alg = JWT_ALG_INVAL;

	if (dot == NULL || (hdr = b64url_decode(token,
	    (size_t)(dot - token))) == NULL)
		return JWT_ALG_INVAL;
	if ((o = json_loads(hdr, 0, NULL)) != NULL &&
	    json_is_string(json_object_get(o, "alg")))
		alg = jwt_str_alg(json_string_value(json_object_get(o, "alg")));
	json_decref(o);
	free(hdr);
	return alg;
}

static int
alg_in_family(jwt_alg_t alg)
{
	if (A.hmac)
		return alg == JWT_ALG_HS256 || alg == JWT_ALG_HS384 ||
		    alg == JWT_ALG_HS512;
	return alg >= JWT_ALG_RS256 && alg <= JWT_ALG_ES512;
}

static int
aud_matches(json_t *aud)
{
	size_t	 i;
	json_t	*v;

	if (json_is_string(aud))
		return strcmp(json_string_value(aud), A.audience) == 0;
	json_array_foreach(aud, i, v)
		if (json_is_string(v) &&
		    strcmp(json_string_value(v), A.audience) == 0)
			return 1;
	return 0;
}

static json_t *
pattern_list(json_t *sse, const char *key)
{
	json_t *v = json_object_get(sse, key);

	return json_is_array(v) ? json_incref(v) : NULL;
}

/*
 * A NumericDate as seconds, within +-2^40 (the year 36,812): a claim
 * past that (9223372036854775807, 1e300) is "never" and "always", and the
 * leeway can be added to it without overflow.
 */
static int64_t
claim_time(const json_t *v)
{
	const double lim = (double)((int64_t)1 << 40);
	double t = json_number_value(v);

	return (int64_t)(t > lim ? lim : t < -lim ? -lim : t);
}

static enum auth_result
check_claims(json_t *c, struct auth_token *t)
{
	json_t	*v;
	int64_t	 now = (int64_t)time(NULL);

	v = json_object_get(c, "exp");
	if (v != NULL) {
		if (!json_is_number(v))
			return AUTH_MALFORMED;
		t->exp = claim_time(v);
		if (now > t->exp + A.leeway)
			return AUTH_EXPIRED;
	}
	v = json_object_get(c, "nbf");
	if (v != NULL) {
		if (!json_is_number(v))
			return AUTH_MALFORMED;
		if (now + A.leeway < claim_time(v))
			return AUTH_NOT_YET;
	}
	if (A.issuer != NULL) {
		v = json_object_get(c, "iss");
		if (!json_is_string(v) || strcmp(json_string_value(v),
		    A.issuer) != 0)
			return AUTH_BAD_ISS;
	}
	if (A.audience != NULL && !aud_matches(json_object_get(c, "aud")))
		return AUTH_BAD_AUD;
	v = json_object_get(c, "sub");
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    json_string_length(v) > 128)
		return AUTH_NO_SUB;
	if ((t->sub = strdup(json_string_value(v))) == NULL)
		return AUTH_INTERNAL;
	v = json_object_get(c, "sse");
	t->subscribe = pattern_list(v, "subscribe");
	t->publish = pattern_list(v, "publish");
	return AUTH_OK;
}

enum auth_result
auth_verify(const char *token, struct auth_token **out)
{
	struct auth_token	*t = NULL;
	jwt_t			*jwt = NULL;
	jwt_alg_t		 alg;
	json_t			*claims = NULL;
	char			*cj = NULL;
	json_error_t		 je;
	enum auth_result	 r;
	int			 err;

	*out = NULL;
	if (token == NULL || *token == '\0')
		return AUTH_MISSING;
	if (strlen(token) > TOKEN_MAX)
		return AUTH_MALFORMED;
	alg = header_alg(token);
	if (alg == JWT_ALG_INVAL)
		return AUTH_MALFORMED;
	if (alg == JWT_ALG_NONE || !alg_in_family(alg))
		return AUTH_BAD_ALG;
	/* libjwt answers ENOMEM when it runs out, EINVAL for a bad token. */
	if ((err = jwt_decode(&jwt, token, A.key, (int)A.keylen)) != 0) {
		r = err == ENOMEM ? AUTH_INTERNAL : AUTH_BAD_SIG;
		goto out;
	}
	if (jwt_get_alg(jwt) != alg) {
		r = AUTH_BAD_ALG;
		goto out;
	}
	/* The claims of a decoded token: only memory can fail here. */
	if ((cj = jwt_get_grants_json(jwt, NULL)) == NULL) {
		r = AUTH_INTERNAL;
		goto out;
	}
	if ((claims = json_loads(cj, 0, &je)) == NULL ||
	    !json_is_object(claims)) {
		r = claims == NULL && json_error_code(&je) ==
		    json_error_out_of_memory ? AUTH_INTERNAL : AUTH_MALFORMED;
		goto out;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		r = AUTH_INTERNAL;
		goto out;
	}
	if ((r = check_claims(claims, t)) == AUTH_OK) {
		*out = t;
		t = NULL;
	}
out:
	auth_token_free(t);
	json_decref(claims);
	free(cj);
	jwt_free(jwt);
	return r;
}

void
auth_token_free(struct auth_token *t)
{
	if (t == NULL)
		return;
	free(t->sub);
	json_decref(t->subscribe);
	json_decref(t->publish);
	free(t);
}

int
auth_can_mint(const char **why)
{
	if (A.none) {
		*why = "ssed runs with --auth=none: no key to sign with";
		return 0;
	}
	if (!A.hmac || A.key == NULL) {
		*why = "ssed verifies with a public key (--jwt-key): mint "
		    "tokens with the private key instead";
		return 0;
	}
	return 1;
}

char *
auth_mint(const char *sub, json_t *subscribe, json_t *publish, int64_t ttl)
{
	jwt_t		*jwt = NULL;
	json_t		*wrap = NULL;
	char		*claims = NULL, *tok = NULL;
	int64_t		 now = (int64_t)time(NULL);
	const char	*why;

	if (!auth_can_mint(&why) || jwt_new(&jwt) != 0)
		return NULL;
	wrap = json_pack("{s:{s:O, s:O}}", "sse", "subscribe", subscribe,
	    "publish", publish);
	if (wrap == NULL || (claims = json_dumps(wrap, JSON_COMPACT)) == NULL)
		goto out;
	if (jwt_add_grant(jwt, "sub", sub) != 0 ||
	    jwt_add_grant_int(jwt, "iat", (long)now) != 0 ||
	    (ttl > 0 && jwt_add_grant_int(jwt, "exp", (long)(now + ttl)) != 0) ||
	    (A.issuer != NULL && jwt_add_grant(jwt, "iss", A.issuer) != 0) ||
	    (A.audience != NULL && jwt_add_grant(jwt, "aud", A.audience) != 0) ||
	    jwt_add_grants_json(jwt, claims) != 0 ||
	    jwt_set_alg(jwt, JWT_ALG_HS256, A.key, (int)A.keylen) != 0)
		goto out;
	tok = jwt_encode_str(jwt);
out:
	free(claims);
	json_decref(wrap);
	jwt_free(jwt);
	return tok;
}
