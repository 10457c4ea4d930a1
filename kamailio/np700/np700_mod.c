/*
 * np700 — a Kamailio module that routes calls and SMS to 700 privacy numbers through np700.
 *
 * The number-protection platform runs np700's writer (the registry) and publishes its routing
 * index in a shared mapping (np700_config_set_shared_path()). Each Kamailio worker attaches to
 * that mapping read-only in child_init and answers "this caller dialled this 700 number: where
 * does it go?" in-process, lock-free, without a network round-trip:
 *
 *     np700_route("$fU", "$rU", "voice");    # or "sms"
 *     np700_route_message("$fU", "$rU", "$rb");
 *
 * The decision lands in $np700(key) (dest, display, binding, decision, reason, sip_status, …,
 * see README.md) and in the return code: 1 route, -2 collect more digits, -3 announce,
 * -4 reject, -1 error (not attached yet, bad argument). KEMI: KSR.np700.route(),
 * KSR.np700.route_message(), the same return codes; read the result with KSR.pv.get().
 *
 * Kamailio forks its workers after mod_init, so nothing of np700 exists before child_init:
 * each worker has its own reader handle and its own last decision (workers are single
 * threaded, so the decision is a plain static).
 */

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <np700.h>

#include "../../core/sr_module.h"
#include "../../core/dprint.h"
#include "../../core/ut.h"
#include "../../core/pvar.h"
#include "../../core/kemi.h"
#include "../../core/mod_fix.h"

MODULE_VERSION

/* Return codes a script branches on ($rc); never 0, which would stop the script. */
#define NP700_RC_ROUTE 1
#define NP700_RC_ERROR -1
#define NP700_RC_COLLECT_DIGITS -2
#define NP700_RC_ANNOUNCE -3
#define NP700_RC_REJECT -4

/* modparam("np700", "shared_path", "/dev/shm/np700"): the writer's shared index. */
static char *shared_path = "/dev/shm/np700";
/* modparam("np700", "attach_retry", 1): seconds between attach attempts while the writer is
 * not up yet (a switch may start before the platform). */
static int attach_retry = 1;

/* Per worker process (set up in child_init, after the fork). */
static np700_reader *reader = NULL;
static time_t next_attach = 0;

/* The last decision of this worker, what $np700(...) reads. */
static np700_decision last;
static int last_rc = NP700_RC_ERROR;
static char binding_buf[24];
static char tenant_buf[12];

enum np700_key {
	KEY_DECISION,
	KEY_DEST,
	KEY_DISPLAY,
	KEY_BINDING,
	KEY_TENANT,
	KEY_MODE,
	KEY_REASON,
	KEY_REASON_CODE,
	KEY_SIP_STATUS,
	KEY_DIGITS,
	KEY_RECORD,
	KEY_TARGET_COUNT,
	KEY_TARGET /* target1 … target8: KEY_TARGET + index */
};

static int mod_init(void);
static int child_init(int rank);
static void mod_destroy(void);

static int w_np700_route(sip_msg_t *msg, char *caller, char *dialed, char *media);
static int w_np700_route_message(sip_msg_t *msg, char *caller, char *dialed, char *text);
static int pv_parse_np700_name(pv_spec_t *sp, str *in);
static int pv_get_np700(sip_msg_t *msg, pv_param_t *param, pv_value_t *res);

/* clang-format off */
static cmd_export_t cmds[] = {
	{"np700_route", (cmd_function)w_np700_route, 3, fixup_spve_all,
		fixup_free_spve_all, ANY_ROUTE},
	{"np700_route_message", (cmd_function)w_np700_route_message, 3, fixup_spve_all,
		fixup_free_spve_all, ANY_ROUTE},
	{0, 0, 0, 0, 0, 0}
};

static param_export_t params[] = {
	{"shared_path", PARAM_STRING, &shared_path},
	{"attach_retry", PARAM_INT, &attach_retry},
	{0, 0, 0}
};

static pv_export_t mod_pvs[] = {
	{ {"np700", sizeof("np700") - 1}, PVT_OTHER, pv_get_np700, 0,
		pv_parse_np700_name, 0, 0, 0 },
	{ {0, 0}, 0, 0, 0, 0, 0, 0, 0 }
};

struct module_exports exports = {
	"np700",         /* module name */
	DEFAULT_DLFLAGS, /* dlopen flags */
	cmds,            /* exported functions */
	params,          /* exported parameters */
	0,               /* RPC methods */
	mod_pvs,         /* exported pseudo-variables */
	0,               /* response handling function */
	mod_init,        /* module init: checks parameters only */
	child_init,      /* per-child init: attaches the reader */
	mod_destroy      /* module destroy */
};
/* clang-format on */

static int mod_init(void)
{
	if(shared_path == NULL || shared_path[0] == '\0') {
		LM_ERR("modparam shared_path is empty\n");
		return -1;
	}
	if(attach_retry < 0) {
		LM_ERR("modparam attach_retry must be >= 0\n");
		return -1;
	}
	/* Nothing of np700 is built here: it would be shared by fork, not attached per worker. */
	LM_INFO("np700 %s, shared index %s\n", np700_version(), shared_path);
	return 0;
}

/* Attaches this process's reader. Failure is not fatal: the platform may start after the
 * switch; routes answer -1 (the script sends 503) and retry every attach_retry seconds. */
static int attach(time_t now)
{
	char err[512] = "";
	np700_status st;

	if(reader != NULL)
		return 0;
	if(now < next_attach)
		return -1;
	next_attach = now + attach_retry;
	st = np700_reader_attach(shared_path, strlen(shared_path), &reader);
	if(st != NP700_OK) {
		reader = NULL;
		np700_last_error(err, sizeof(err), NULL);
		LM_WARN("np700: cannot attach to %s yet: %s (%s)\n", shared_path,
				np700_status_str(st), err);
		return -1;
	}
	LM_DBG("np700: attached to %s\n", shared_path);
	return 0;
}

static int child_init(int rank)
{
	/* The main process before and after forking does not route. */
	if(rank == PROC_INIT || rank == PROC_MAIN || rank == PROC_TCP_MAIN)
		return 0;
	attach(time(NULL));
	return 0;
}

static void mod_destroy(void)
{
	if(reader != NULL) {
		np700_reader_free(reader);
		reader = NULL;
	}
}

static int parse_media(str *media, np700_media *out)
{
	if(media->len == 5 && strncasecmp(media->s, "voice", 5) == 0) {
		*out = NP700_MEDIA_VOICE;
		return 0;
	}
	if(media->len == 3 && strncasecmp(media->s, "sms", 3) == 0) {
		*out = NP700_MEDIA_SMS;
		return 0;
	}
	return -1;
}

/* Turns the status and decision into the return code and keeps them for $np700(...). */
static int settle(np700_status st)
{
	if(st != NP700_OK) {
		char err[512] = "";
		np700_last_error(err, sizeof(err), NULL);
		LM_ERR("np700: %s (%s)\n", np700_status_str(st), err);
		memset(&last, 0, sizeof(last));
		return last_rc = NP700_RC_ERROR;
	}
	snprintf(binding_buf, sizeof(binding_buf), "%" PRIu64, last.binding_id);
	snprintf(tenant_buf, sizeof(tenant_buf), "%" PRIu32, last.tenant);
	switch(last.kind) {
		case NP700_DECISION_ROUTE:
			return last_rc = NP700_RC_ROUTE;
		case NP700_DECISION_COLLECT_DIGITS:
			return last_rc = NP700_RC_COLLECT_DIGITS;
		case NP700_DECISION_ANNOUNCE:
			return last_rc = NP700_RC_ANNOUNCE;
		default:
			return last_rc = NP700_RC_REJECT;
	}
}

/* Common prologue: clears the last decision and makes sure this worker is attached. */
static int begin(time_t now)
{
	memset(&last, 0, sizeof(last));
	last_rc = NP700_RC_ERROR;
	binding_buf[0] = tenant_buf[0] = '\0';
	return attach(now);
}

/* Numbers longer than np700 takes are what a hostile or broken peer sends, not an error of
 * the switch: such a caller is unidentified (np700's rule for a malformed caller), such a
 * dialled string is a malformed number (484), without an error in the log for every request. */
static int oversized(str *caller, str *dialed)
{
	if(caller->len > NP700_MAX_NUMBER_LEN)
		caller->len = 0;
	if(dialed->len <= NP700_MAX_NUMBER_LEN)
		return 0;
	last.kind = NP700_DECISION_REJECT;
	last.reject = NP700_REJECT_MALFORMED_NUMBER;
	last.sip_status = np700_reject_reason_sip_status(NP700_REJECT_MALFORMED_NUMBER);
	return 1;
}

static int ki_np700_route(sip_msg_t *msg, str *caller, str *dialed, str *media)
{
	np700_media m;
	str c = *caller, d = *dialed;
	time_t now = time(NULL);

	if(begin(now) < 0)
		return NP700_RC_ERROR;
	if(parse_media(media, &m) < 0) {
		LM_ERR("np700_route: media must be \"voice\" or \"sms\", not \"%.*s\"\n", media->len,
				media->s);
		return NP700_RC_ERROR;
	}
	if(oversized(&c, &d))
		return settle(NP700_OK);
	return settle(np700_reader_route(reader, c.s, (size_t)c.len, d.s, (size_t)d.len, m,
			(uint64_t)now, &last));
}

static int ki_np700_route_message(sip_msg_t *msg, str *caller, str *dialed, str *text)
{
	str c = *caller, d = *dialed;
	time_t now = time(NULL);

	if(begin(now) < 0)
		return NP700_RC_ERROR;
	if(oversized(&c, &d))
		return settle(NP700_OK);
	return settle(np700_reader_route_message(reader, c.s, (size_t)c.len, d.s, (size_t)d.len,
			text->s, (size_t)text->len, (uint64_t)now, &last));
}

/* Reads the three string parameters of a cfg call (literals or pseudo-variables). */
static int get_params(sip_msg_t *msg, char *p1, char *p2, char *p3, str *s1, str *s2, str *s3)
{
	if(fixup_get_svalue(msg, (gparam_t *)p1, s1) < 0
			|| fixup_get_svalue(msg, (gparam_t *)p2, s2) < 0
			|| fixup_get_svalue(msg, (gparam_t *)p3, s3) < 0) {
		LM_ERR("np700: cannot evaluate the parameters\n");
		return -1;
	}
	return 0;
}

static int w_np700_route(sip_msg_t *msg, char *caller, char *dialed, char *media)
{
	str c, d, m;

	if(get_params(msg, caller, dialed, media, &c, &d, &m) < 0) {
		memset(&last, 0, sizeof(last));
		return last_rc = NP700_RC_ERROR;
	}
	return ki_np700_route(msg, &c, &d, &m);
}

static int w_np700_route_message(sip_msg_t *msg, char *caller, char *dialed, char *text)
{
	str c, d, t;

	if(get_params(msg, caller, dialed, text, &c, &d, &t) < 0) {
		memset(&last, 0, sizeof(last));
		return last_rc = NP700_RC_ERROR;
	}
	return ki_np700_route_message(msg, &c, &d, &t);
}

/* $np700(key): the key is resolved once, when the script is parsed. */
static int pv_parse_np700_name(pv_spec_t *sp, str *in)
{
	static const struct {
		const char *name;
		int key;
	} keys[] = {{"decision", KEY_DECISION}, {"dest", KEY_DEST}, {"display", KEY_DISPLAY},
			{"binding", KEY_BINDING}, {"tenant", KEY_TENANT}, {"mode", KEY_MODE},
			{"reason", KEY_REASON}, {"reason_code", KEY_REASON_CODE},
			{"sip_status", KEY_SIP_STATUS}, {"digits", KEY_DIGITS}, {"record", KEY_RECORD},
			{"target_count", KEY_TARGET_COUNT}};
	size_t i;

	if(sp == NULL || in == NULL || in->len <= 0)
		return -1;
	for(i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if((size_t)in->len == strlen(keys[i].name)
				&& strncmp(in->s, keys[i].name, in->len) == 0) {
			sp->pvp.pvn.u.isname.name.n = keys[i].key;
			goto found;
		}
	}
	/* target1 … target8, in ringing order */
	if(in->len == 7 && strncmp(in->s, "target", 6) == 0 && in->s[6] >= '1'
			&& in->s[6] < '1' + NP700_MAX_TARGETS) {
		sp->pvp.pvn.u.isname.name.n = KEY_TARGET + (in->s[6] - '1');
		goto found;
	}
	LM_ERR("unknown key in $np700(%.*s)\n", in->len, in->s);
	return -1;
found:
	sp->pvp.pvn.type = PV_NAME_INTSTR;
	sp->pvp.pvn.u.isname.type = 0;
	return 0;
}

static const char *decision_name(void)
{
	if(last_rc == NP700_RC_ERROR)
		return "error";
	switch(last.kind) {
		case NP700_DECISION_ROUTE:
			return "route";
		case NP700_DECISION_COLLECT_DIGITS:
			return "collect_digits";
		case NP700_DECISION_ANNOUNCE:
			return "announce";
		default:
			return "reject";
	}
}

static const char *mode_name(void)
{
	switch(last.mode) {
		case NP700_MODE_AXB:
			return "axb";
		case NP700_MODE_AXN:
			return "axn";
		case NP700_MODE_AXYB:
			return "axyb";
		case NP700_MODE_GXB:
			return "gxb";
		default:
			return "";
	}
}

/* The SIP final response a script should send when the call is not routed: the library's
 * status for a refusal, 484 Address Incomplete for collect-digits, and for announcements
 * (where a switch with a media server plays one instead) 480 for an expired binding and 404
 * once the number's service has ended. */
static int sip_status(void)
{
	if(last_rc == NP700_RC_ERROR)
		return 503;
	switch(last.kind) {
		case NP700_DECISION_ROUTE:
			return 0;
		case NP700_DECISION_COLLECT_DIGITS:
			return 484;
		case NP700_DECISION_ANNOUNCE:
			return last.announce == NP700_ANNOUNCE_EXPIRED ? 480 : 404;
		default:
			return last.sip_status;
	}
}

static int pv_get_np700(sip_msg_t *msg, pv_param_t *param, pv_value_t *res)
{
	int key;

	if(param == NULL)
		return -1;
	key = param->pvn.u.isname.name.n;
	switch(key) {
		case KEY_DECISION:
			return pv_get_strzval(msg, param, res, (char *)decision_name());
		case KEY_REASON:
			if(last.kind == NP700_DECISION_REJECT)
				return pv_get_strzval(
						msg, param, res, (char *)np700_reject_reason_str(last.reject));
			if(last.kind == NP700_DECISION_ANNOUNCE)
				return pv_get_strzval(msg, param, res,
						(char *)np700_announce_reason_str(last.announce));
			return pv_get_strempty(msg, param, res);
		case KEY_REASON_CODE:
			return pv_get_sintval(msg, param, res,
					(int)(last.kind == NP700_DECISION_ANNOUNCE ? last.announce : last.reject));
		case KEY_SIP_STATUS:
			return pv_get_sintval(msg, param, res, sip_status());
		case KEY_DIGITS:
			return pv_get_sintval(msg, param, res, last.digits_needed);
		case KEY_RECORD:
			return pv_get_sintval(msg, param, res, last.record ? 1 : 0);
		case KEY_TARGET_COUNT:
			return pv_get_sintval(msg, param, res, (int)last.target_count);
	}
	/* The rest exists only for a routed call. */
	if(last_rc != NP700_RC_ROUTE)
		return pv_get_null(msg, param, res);
	switch(key) {
		case KEY_DEST:
			return pv_get_strzval(msg, param, res, last.targets[0]);
		case KEY_DISPLAY:
			return pv_get_strzval(msg, param, res, last.display);
		case KEY_BINDING:
			return pv_get_strzval(msg, param, res, binding_buf);
		case KEY_TENANT:
			return pv_get_strzval(msg, param, res, tenant_buf);
		case KEY_MODE:
			return pv_get_strzval(msg, param, res, (char *)mode_name());
	}
	if(key >= KEY_TARGET && key < KEY_TARGET + NP700_MAX_TARGETS
			&& (uint32_t)(key - KEY_TARGET) < last.target_count)
		return pv_get_strzval(msg, param, res, last.targets[key - KEY_TARGET]);
	return pv_get_null(msg, param, res);
}

/* clang-format off */
static sr_kemi_t sr_kemi_np700_exports[] = {
	{ str_init("np700"), str_init("route"),
		SR_KEMIP_INT, ki_np700_route,
		{ SR_KEMIP_STR, SR_KEMIP_STR, SR_KEMIP_STR,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("np700"), str_init("route_message"),
		SR_KEMIP_INT, ki_np700_route_message,
		{ SR_KEMIP_STR, SR_KEMIP_STR, SR_KEMIP_STR,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ {0, 0}, {0, 0}, 0, NULL, { 0, 0, 0, 0, 0, 0 } }
};
/* clang-format on */

int mod_register(char *path, int *dlflags, void *p1, void *p2)
{
	sr_kemi_modules_add(sr_kemi_np700_exports);
	return 0;
}
