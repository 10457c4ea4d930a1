/*
 * The bad-input matrix: every exported function, one bad argument per case, each with its
 * documented status.
 *
 * A case starts from a valid call of its function (its `base`, checked to succeed after the
 * cases), changes one argument (its `mutate`), and checks:
 *   - the status is the documented one;
 *   - on an error, the output (filled with SENTINEL) was not written, and this thread's last
 *     error names the function;
 *   - the registry's observable state (statistics, both tenants, both bindings) did not change;
 *   - no crash (and, under ASan/valgrind, no bad memory access on either side).
 *
 * Cases come from three sources: rows generated for every function from what it takes (its
 * handle, output pointer and time), string-argument rows expanded over the string classes
 * below with one expectation profile per kind of argument, and function-specific rows.
 */
#include "harness.h"

#include <limits.h>
#include <unistd.h>

#define NA 1 /* a profile entry that is not a bad input for this argument (not run) */

/* ---- string classes ---------------------------------------------------------------------- */

enum {
    S_NULL_LEN,       /* NULL with a non-zero length */
    S_UTF8_BYTE,      /* 0xFF */
    S_UTF8_OVERLONG,  /* C0 AF */
    S_UTF8_SURROGATE, /* ED A0 80 */
    S_UTF8_TRUNCATED, /* E4 B8 at the end */
    S_NONDIGIT,
    S_EMPTY_NULL, /* (NULL, 0) */
    S_EMPTY_PTR,  /* ("", 0) */
    S_DIGITS16,
    S_CONTROL,
    S_NUL, /* an embedded NUL byte */
    S_LEN257,
    S_LEN4K,
    S_LEN4K1,
    S_LEN1M,
    S_COUNT
};

static const char *const CLASS_NAME[S_COUNT] = {
    "NULL with length 11",      "invalid UTF-8 (0xFF)",  "invalid UTF-8 (overlong)",
    "invalid UTF-8 (surrogate)", "invalid UTF-8 (truncated)", "non-digits",
    "empty (NULL, 0)",          "empty (\"\", 0)",       "16 digits",
    "control character",        "embedded NUL",          "257 bytes",
    "4 KiB",                    "4 KiB + 1",             "1 MiB",
};

#define BIG_LEN (1024 * 1024)
static char *big; /* BIG_LEN digits, not NUL-terminated where it matters */

static np700_str mk(const char *p, size_t n) {
    np700_str s;
    s.ptr = p;
    s.len = n;
    return s;
}

static np700_str class_str(int cls) {
    switch (cls) {
    case S_NULL_LEN:
        return mk(NULL, 11);
    case S_UTF8_BYTE:
        return mk("70010000\xff" "01", 11);
    case S_UTF8_OVERLONG:
        return mk("7001000\xc0\xaf" "01", 11);
    case S_UTF8_SURROGATE:
        return mk("700100\xed\xa0\x80" "01", 11);
    case S_UTF8_TRUNCATED:
        return mk("700100000\xe4\xb8", 11);
    case S_NONDIGIT:
        return mk("7001000000A", 11);
    case S_EMPTY_NULL:
        return mk(NULL, 0);
    case S_EMPTY_PTR:
        return mk("", 0);
    case S_DIGITS16:
        return mk("7001000000100011", 16);
    case S_CONTROL:
        return mk("70010\x01" "00001", 11);
    case S_NUL:
        return mk("70010\0" "000001", 12);
    case S_LEN257:
        return mk(big, 257);
    case S_LEN4K:
        return mk(big, 4096);
    case S_LEN4K1:
        return mk(big, 4097);
    default:
        return mk(big, BIG_LEN);
    }
}

/* What each kind of string argument answers to each class (NA: valid there, not run). */
struct profile {
    np700_status status[S_COUNT];
    /* For route arguments, where bad text is a decision: the expected REJECT reason. */
    np700_reject_reason reject[S_COUNT];
};

#define UTF8                                                                                   \
    NP700_ERR_INVALID_UTF8, NP700_ERR_INVALID_UTF8, NP700_ERR_INVALID_UTF8, NP700_ERR_INVALID_UTF8
#define LONG4(s) s, s, s, s
#define NO_REJECTS {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}

/* A required number: management, subscriber, usage. */
static const struct profile P_NUMBER = {
    {NP700_ERR_NULL, UTF8, NP700_ERR_BAD_NUMBER, NP700_ERR_BAD_NUMBER, NP700_ERR_BAD_NUMBER,
     NP700_ERR_BAD_NUMBER, NP700_ERR_BAD_NUMBER, NP700_ERR_BAD_NUMBER, LONG4(NP700_ERR_TOO_LONG)},
    NO_REJECTS};
/* An optional number (empty: none, or pick one automatically). */
static const struct profile P_OPT_NUMBER = {
    {NP700_ERR_NULL, UTF8, NP700_ERR_BAD_NUMBER, NA, NA, NP700_ERR_BAD_NUMBER,
     NP700_ERR_BAD_NUMBER, NP700_ERR_BAD_NUMBER, LONG4(NP700_ERR_TOO_LONG)},
    NO_REJECTS};
/* A tag in a list (1..=32 bytes, no whitespace or control characters). */
static const struct profile P_TAG = {
    {NP700_ERR_NULL, UTF8, NA, NP700_ERR_BAD_TAG, NP700_ERR_BAD_TAG, NA, NP700_ERR_BAD_TAG,
     NP700_ERR_BAD_TAG, LONG4(NP700_ERR_BAD_TAG)},
    NO_REJECTS};
/* An optional tag (empty: no tag). */
static const struct profile P_OPT_TAG = {
    {NP700_ERR_NULL, UTF8, NA, NA, NA, NA, NP700_ERR_BAD_TAG, NP700_ERR_BAD_TAG,
     LONG4(NP700_ERR_BAD_TAG)},
    NO_REJECTS};
/* Required text: a tenant's name (1..=128 bytes), a consent reference (1..=64). */
static const struct profile P_TEXT = {
    {NP700_ERR_NULL, UTF8, NA, NP700_ERR_INVALID_FIELD, NP700_ERR_INVALID_FIELD, NA,
     NP700_ERR_INVALID_FIELD, NP700_ERR_INVALID_FIELD, LONG4(NP700_ERR_INVALID_FIELD)},
    NO_REJECTS};
/* Optional text: a note (..=256), an order id or external reference (..=64). */
static const struct profile P_OPT_TEXT = {
    {NP700_ERR_NULL, UTF8, NA, NA, NA, NA, NP700_ERR_INVALID_FIELD, NP700_ERR_INVALID_FIELD,
     LONG4(NP700_ERR_INVALID_FIELD)},
    NO_REJECTS};
/* A path to publish at (checked when the registry is created; (NULL, 0) resets). */
static const struct profile P_PATH_SET = {
    {NP700_ERR_NULL, UTF8, NA, NA, NA, NA, NA, NA, NA, NA, NP700_ERR_TOO_LONG, NP700_ERR_TOO_LONG},
    NO_REJECTS};
/* A journal directory (created if missing): required; bad names are I/O errors. Relative
 * names that would be valid directories are not run (they would litter the working directory). */
static const struct profile P_DIR = {
    {NP700_ERR_NULL, UTF8, NA, NP700_ERR_NULL, NP700_ERR_NULL, NA, NA, NP700_ERR_IO,
     NP700_ERR_IO, NP700_ERR_IO, NP700_ERR_TOO_LONG, NP700_ERR_TOO_LONG},
    NO_REJECTS};
/* A path to attach to: anything but an index there is an I/O error. */
static const struct profile P_PATH_ATTACH = {
    {NP700_ERR_NULL, UTF8, NP700_ERR_IO, NP700_ERR_IO, NP700_ERR_IO, NP700_ERR_IO, NP700_ERR_IO,
     NP700_ERR_IO, NP700_ERR_IO, NP700_ERR_IO, NP700_ERR_TOO_LONG, NP700_ERR_TOO_LONG},
    NO_REJECTS};
/* A route's caller: text that is no number leaves the caller unidentified. */
#define UNIDENTIFIED NP700_REJECT_CALLER_UNIDENTIFIED
static const struct profile P_CALLER = {
    {NP700_ERR_NULL, UTF8, NP700_OK, NP700_OK, NP700_OK, NP700_OK, NP700_OK, NP700_OK,
     LONG4(NP700_ERR_TOO_LONG)},
    {0, 0, 0, 0, 0, UNIDENTIFIED, UNIDENTIFIED, UNIDENTIFIED, UNIDENTIFIED, UNIDENTIFIED,
     UNIDENTIFIED, 0, 0, 0, 0}};
/* A route's dialled string: text that is no 700 number is refused. */
#define MALFORMED NP700_REJECT_MALFORMED_NUMBER
static const struct profile P_DIALED = {
    {NP700_ERR_NULL, UTF8, NP700_OK, NP700_OK, NP700_OK, NP700_OK, NP700_OK, NP700_OK,
     LONG4(NP700_ERR_TOO_LONG)},
    {0, 0, 0, 0, 0, MALFORMED, MALFORMED, MALFORMED, MALFORMED, MALFORMED, MALFORMED, 0, 0, 0, 0}};

/* A hand-over document: any text that is not one does not parse. */
#define UNREADABLE NP700_ERR_HANDOVER_UNREADABLE
static const struct profile P_JSON = {
    {NP700_ERR_NULL, UTF8, UNREADABLE, UNREADABLE, UNREADABLE, UNREADABLE, UNREADABLE, UNREADABLE,
     LONG4(UNREADABLE)},
    NO_REJECTS};
/* Legacy JSON lines: text that is no record is a refused line, not an error. */
static const struct profile P_JSONL = {
    {NP700_ERR_NULL, UTF8, NP700_OK, NP700_OK, NP700_OK, NP700_OK, NP700_OK, NP700_OK,
     LONG4(NP700_OK)},
    NO_REJECTS};

/* A commercial sender prefix: ASCII digits, 1 to 16. */
static const struct profile P_PREFIX = {
    {NP700_ERR_NULL, UTF8, NP700_ERR_BAD_NUMBER, NP700_ERR_BAD_NUMBER, NP700_ERR_BAD_NUMBER, NA,
     NP700_ERR_BAD_NUMBER, NP700_ERR_BAD_NUMBER, LONG4(NP700_ERR_TOO_LONG)},
    NO_REJECTS};
/* A verification-code keyword: 1 to 64 bytes of UTF-8. */
static const struct profile P_KEYWORD = {
    {NP700_ERR_NULL, UTF8, NA, NP700_ERR_INVALID_FIELD, NP700_ERR_INVALID_FIELD, NA, NA, NA,
     LONG4(NP700_ERR_INVALID_FIELD)},
    NO_REJECTS};
/* An SMS text: any bytes (invalid UTF-8 included) up to 64 KiB. */
static const struct profile P_SMS_TEXT = {
    {NP700_ERR_NULL, NP700_OK, NP700_OK, NP700_OK, NP700_OK, NP700_OK, NP700_OK, NP700_OK,
     NP700_OK, NP700_OK, NP700_OK, NP700_OK, NP700_OK, NP700_OK, NP700_ERR_TOO_LONG},
    NO_REJECTS};

/* ---- calls -------------------------------------------------------------------------------- */

#define LIST_ROOM (NP700_MAX_LIST_LEN + 1)
#define DOC_ROOM 16384 /* an exported document of the fixture */
#define LINES_ROOM 4   /* legacy line outcomes */
#define RECS_ROOM 4    /* drained route records */

/* The arguments of one call by role; each function's `invoke` maps them to its parameters. */
struct call {
    void *handle;
    const char *s; /* the string argument */
    size_t n;
    const void *list; /* a list, or the request struct */
    size_t count;
    uint32_t tenant, code;
    uint64_t binding, now, value;
    void *out;
    /* Controls: a limit's media, and up to three counts or sizes. */
    uint32_t media;
    uint32_t v[3];
    /* Reports: the period. */
    uint64_t from, to;
    /* Storage the pointers above point into. */
    np700_bind_request bind;
    np700_update_request update;
    np700_policy policy;
    np700_str strs[LIST_ROOM];
    np700_scenario codes[LIST_ROOM];
    /* Hand-over: the export's buffer, sizes and line outcomes (pointing into the outputs
     * below unless a case changes them), a tenant mapping, legacy options. */
    char *buf;
    size_t buf_len;
    size_t *needed_ptr;
    np700_legacy_line *lines_ptr;
    size_t lines_cap;
    np700_tenant_mapping map[4];
    np700_legacy_options legacy;
    np700_legacy_mapping table[2];
    /* Outputs besides `out`: filled with SENTINEL before each case and checked untouched after
     * an error (a size may be written with NP700_ERR_BUFFER_TOO_SMALL, as documented). */
    size_t needed;
    np700_legacy_line lines[LINES_ROOM];
    char doc[DOC_ROOM];
    np700_route_record recs[RECS_ROOM];
};

/* Every output type, and room to misalign it. */
union out_buf {
    np700_config *cfg;
    np700_registry *reg;
    np700_reader *rdr;
    uint32_t u32;
    uint64_t u64;
    size_t size;
    np700_tenant_info tenant;
    np700_stats stats;
    np700_binding_info binding;
    np700_decision decision;
    np700_history_hit hit;
    np700_import_report import_report;
    np700_legacy_summary legacy_summary;
    unsigned char bytes[sizeof(np700_decision) + sizeof(np700_tenant_info) + 16];
};

enum { H_NONE, H_CONFIG, H_REGISTRY, H_READER, H_FOLLOWER };

struct fn {
    const char *name;
    int handle; /* H_*: the type of its first argument */
    int frees;  /* a _free: NULL is a no-op */
    int has_now;
    size_t out_size; /* 0: no output */
    int shared;      /* needs a reader on the fixture */
    void (*setup)(struct fx *); /* before its cases, or NULL */
    void (*base)(struct fx *, struct call *);
    np700_status (*invoke)(const struct call *);
    void (*after_ok)(const struct call *); /* cleanup after the base call succeeded, or NULL */
};

/* Made once for all cases: freed and twice-freed handles of each type, the spare handle a
 * _free's base call frees, configurations with bad shared paths, numbers for lists. */
static struct {
    void *stale[5], *twice[5];
    void *spare;
    np700_config *bad_path[2]; /* shared paths: in a missing directory; with a NUL byte */
    np700_config *full_limits; /* holding NP700_MAX_RATE_LIMITS frequency limits */
    np700_config *full_sms;    /* holding the most SMS prefixes and keywords */
    char numbers[LIST_ROOM][12]; /* distinct valid mobile numbers for lists */
    const struct fn *fn;         /* the function whose cases run */
} M;
static int anchor; /* an address that is no handle */

/* Hand-over documents the import's cases take (made by its setup), and tables one entry longer
 * than NP700_MAX_TABLE_LEN. */
enum { DOC_NOT_A_HANDOVER, DOC_VERSION_2, DOC_INCONSISTENT, DOC_OVERLAPPING, DOC_QUARANTINED,
       DOC_SELF, DOC_TENANT_A, DOC_SOURCE, DOC_COUNT };
static struct {
    char doc[DOC_COUNT][DOC_ROOM];
    uint32_t source_active, source_suspended; /* the source's tenants (ids in DOC_SOURCE) */
    np700_tenant_mapping *big_map;
    np700_legacy_mapping *big_table;
} H;

/* ---- bases and invokers ----------------------------------------------------------------- */

#define REG(c) ((const np700_registry *)(c)->handle)
#define CFG(c) ((np700_config *)(c)->handle)
#define RDR(c) ((const np700_reader *)(c)->handle)

static np700_bind_request base_bind_request(const struct fx *f) {
    /* A free usage number of tenant A, new parties. */
    return fx_axb(f->ta, "13800000099", "700100000010002", "13900000099");
}

static void b_none(struct fx *f, struct call *c) {
    (void)f;
    (void)c;
}
static void b_cfg(struct fx *f, struct call *c) {
    c->handle = f->cfg;
    c->value = 60;
}
static void b_spare(struct fx *f, struct call *c) {
    (void)f;
    c->handle = M.spare;
}
static void b_reg(struct fx *f, struct call *c) {
    c->handle = f->reg;
    c->now = T0 + 1;
    c->tenant = f->ta;
    c->binding = f->ba;
}
static void b_rdr(struct fx *f, struct call *c) {
    c->handle = f->rdr;
}
static void b_register(struct fx *f, struct call *c) {
    b_reg(f, c);
    c->s = "New Tenant";
    c->n = strlen(c->s);
    c->codes[0] = NP700_SCENARIO_DELIVERY;
    c->codes[1] = NP700_SCENARIO_OTHER;
    c->list = c->codes;
    c->count = 2;
}
static void b_status(struct fx *f, struct call *c) {
    b_reg(f, c);
    c->code = NP700_TENANT_SUSPENDED;
}
static void b_violation(struct fx *f, struct call *c) {
    b_reg(f, c);
    c->code = NP700_VIOLATION_FRAUD;
    c->s = "reported by a customer";
    c->n = strlen(c->s);
}
static void b_license(struct fx *f, struct call *c) {
    b_reg(f, c);
    c->s = "70020000000";
    c->n = 11;
    c->value = 10;
}
static void b_assign(struct fx *f, struct call *c) {
    b_reg(f, c);
    c->s = "70010000003";
    c->n = 11;
    c->strs[0] = ct_str("beijing");
    c->list = c->strs;
    c->count = 1;
}
static void b_reclaim(struct fx *f, struct call *c) {
    b_reg(f, c);
    c->s = "70010000002";
    c->n = 11;
}
static void b_bind(struct fx *f, struct call *c) {
    b_reg(f, c);
    c->bind = base_bind_request(f);
    c->list = &c->bind;
}
static void b_update(struct fx *f, struct call *c) {
    b_reg(f, c);
    memset(&c->update, 0, sizeof c->update);
    c->update.tenant = f->ta;
    c->update.binding = f->ba;
    c->update.counterpart = NP700_COUNTERPART_B;
    c->update.number = ct_str("13900000077");
    c->list = &c->update;
}
static void b_route(struct fx *f, struct call *c) {
    b_reg(f, c);
    c->s = FX_A_CUSTOMER; /* caller */
    c->n = strlen(c->s);
    c->strs[0] = ct_str(FX_A_X); /* dialled */
    c->code = NP700_MEDIA_VOICE;
}
static void b_reader_route(struct fx *f, struct call *c) {
    b_route(f, c);
    c->handle = f->rdr;
}
static void b_attach(struct fx *f, struct call *c) {
    c->s = f->path;
    c->n = strlen(f->path);
}

/* The journal directory of the matrix's journaled registries. */
static char journal_dir[128];
static uint64_t seq_out;
static np700_recovery recovery_out;

static void b_cfg_journal(struct fx *f, struct call *c) {
    b_cfg(f, c);
    c->code = NP700_COMMIT_GROUP;
    c->value = 0;
}
static void b_open(struct fx *f, struct call *c) {
    c->handle = f->cfg;
    c->s = journal_dir;
    c->n = strlen(journal_dir);
    c->list = &recovery_out;
}
static void b_snapshot(struct fx *f, struct call *c) {
    (void)f;
    c->handle = M.spare;
    c->list = &seq_out;
}

/* Hand-over. */
static void b_export(struct fx *f, struct call *c) {
    b_reg(f, c);
    c->buf = c->doc;
    c->buf_len = sizeof c->doc;
    c->needed_ptr = &c->needed;
}
static void b_import(struct fx *f, struct call *c) {
    b_reg(f, c);
    c->s = H.doc[DOC_SOURCE];
    c->n = strlen(c->s);
    c->code = NP700_IMPORT_RENUMBER; /* the fixture has issued the source's ids */
}
/* One legacy line for tenant A, its number mapped onto 70010000002 (A's, free). */
static const char LEGACY_LINE[] =
    "{\"middle\": \"17012345678\", \"mode\": \"AXB\", \"a\": \"13800000091\", \"b\": "
    "\"13900000091\", \"expires_at\": 1767312000, \"consent_ref\": \"c\"}";
static void b_migrate(struct fx *f, struct call *c) {
    b_reg(f, c);
    c->s = LEGACY_LINE;
    c->n = strlen(LEGACY_LINE);
    c->table[0].legacy = ct_str("17012345678");
    c->table[0].target = ct_str("70010000002");
    c->legacy.table = c->table;
    c->legacy.table_len = 1;
    c->list = &c->legacy;
    c->lines_ptr = c->lines;
    c->lines_cap = LINES_ROOM;
    c->needed_ptr = &c->needed;
}

static np700_status i_config_new(const struct call *c) {
    return np700_config_new((np700_config **)c->out);
}
static np700_status i_config_free(const struct call *c) {
    return np700_config_free(CFG(c));
}
static np700_status i_binding_quarantine(const struct call *c) {
    return np700_config_set_binding_quarantine(CFG(c), c->value);
}
static np700_status i_number_quarantine(const struct call *c) {
    return np700_config_set_number_quarantine(CFG(c), c->value);
}
static np700_status i_pair_cap(const struct call *c) {
    return np700_config_set_default_pair_cap(CFG(c), (uint16_t)c->value);
}
static np700_status i_capacity(const struct call *c) {
    return np700_config_set_capacity(CFG(c), (size_t)c->value);
}
static np700_status i_shared_path(const struct call *c) {
    return np700_config_set_shared_path(CFG(c), c->s, c->n);
}
static np700_status i_set_journal(const struct call *c) {
    return np700_config_set_journal(CFG(c), c->code, c->value);
}
static np700_status i_open(const struct call *c) {
    return np700_registry_open((const np700_config *)c->handle, c->s, c->n,
                               (np700_registry **)c->out, (np700_recovery *)c->list);
}
static np700_status i_snapshot(const struct call *c) {
    return np700_registry_snapshot(REG(c), (uint64_t *)c->list);
}
static np700_follow_progress progress_out;
static void b_follower_poll(struct fx *f, struct call *c) {
    (void)f;
    c->handle = M.spare;
    c->list = &progress_out;
}
static void b_follower_route(struct fx *f, struct call *c) {
    b_route(f, c);
    c->handle = M.spare;
}
static np700_status i_follower_open(const struct call *c) {
    return np700_follower_open((const np700_config *)c->handle, c->s, c->n,
                               (np700_follower **)c->out);
}
static np700_status i_follower_free(const struct call *c) {
    return np700_follower_free((np700_follower *)c->handle);
}
static np700_status i_follower_poll(const struct call *c) {
    return np700_follower_poll((const np700_follower *)c->handle,
                               (np700_follow_progress *)c->list);
}
static np700_status i_follower_route(const struct call *c) {
    return np700_follower_route((const np700_follower *)c->handle, c->s, c->n, c->strs[0].ptr,
                                c->strs[0].len, c->code, c->now, (np700_decision *)c->out);
}
static np700_status i_registry_new(const struct call *c) {
    return np700_registry_new((const np700_config *)c->handle, (np700_registry **)c->out);
}
static np700_status i_registry_free(const struct call *c) {
    return np700_registry_free((np700_registry *)c->handle);
}
static np700_status i_register(const struct call *c) {
    return np700_registry_register_tenant(REG(c), c->s, c->n, (const np700_scenario *)c->list,
                                          c->count, 0, c->now, (uint32_t *)c->out);
}
static np700_status i_status(const struct call *c) {
    return np700_registry_set_tenant_status(REG(c), c->tenant, c->code, c->now);
}
static np700_status i_violation(const struct call *c) {
    return np700_registry_record_violation(REG(c), c->tenant, c->code, c->s, c->n, c->now);
}
static np700_status i_tenant(const struct call *c) {
    return np700_registry_tenant(REG(c), c->tenant, (np700_tenant_info *)c->out);
}
static np700_status i_license(const struct call *c) {
    return np700_registry_license_block(REG(c), c->s, c->n, (uint32_t)c->value, c->now);
}
static np700_status i_assign(const struct call *c) {
    return np700_registry_assign_number(REG(c), c->tenant, c->s, c->n, (const np700_str *)c->list,
                                        c->count, c->now);
}
static np700_status i_reclaim(const struct call *c) {
    return np700_registry_reclaim_number(REG(c), c->tenant, c->s, c->n, c->now);
}
static np700_status i_sweep(const struct call *c) {
    return np700_registry_sweep(REG(c), c->now, (size_t *)c->out);
}
static np700_status i_stats(const struct call *c) {
    return np700_registry_stats(REG(c), (np700_stats *)c->out);
}
static np700_status i_bind(const struct call *c) {
    return np700_registry_bind(REG(c), (const np700_bind_request *)c->list, c->now,
                               (np700_binding_info *)c->out);
}
static np700_status i_update(const struct call *c) {
    return np700_registry_update(REG(c), (const np700_update_request *)c->list, c->now,
                                 (np700_binding_info *)c->out);
}
static np700_status i_suspend(const struct call *c) {
    return np700_registry_suspend(REG(c), c->tenant, c->binding, c->now);
}
static np700_status i_resume(const struct call *c) {
    return np700_registry_resume(REG(c), c->tenant, c->binding, c->now);
}
static np700_status i_unbind(const struct call *c) {
    return np700_registry_unbind(REG(c), c->tenant, c->binding, c->now);
}
static np700_status i_binding(const struct call *c) {
    return np700_registry_binding(REG(c), c->tenant, c->binding, (np700_binding_info *)c->out);
}
static np700_status i_route(const struct call *c) {
    return np700_route(REG(c), c->s, c->n, c->strs[0].ptr, c->strs[0].len, c->code, c->now,
                       (np700_decision *)c->out);
}
static np700_status i_attach(const struct call *c) {
    return np700_reader_attach(c->s, c->n, (np700_reader **)c->out);
}
static np700_status i_reader_free(const struct call *c) {
    return np700_reader_free((np700_reader *)c->handle);
}
static np700_status i_reader_route(const struct call *c) {
    return np700_reader_route(RDR(c), c->s, c->n, c->strs[0].ptr, c->strs[0].len, c->code, c->now,
                              (np700_decision *)c->out);
}
static np700_status i_generation(const struct call *c) {
    return np700_reader_generation(RDR(c), (uint64_t *)c->out);
}

static np700_status i_export(const struct call *c) {
    return np700_registry_export(REG(c), c->tenant, c->now, c->buf, c->buf_len, c->needed_ptr);
}
static np700_status i_import(const struct call *c) {
    return np700_registry_import(REG(c), c->s, c->n, (const np700_tenant_mapping *)c->list,
                                 c->count, c->code, c->now, (np700_import_report *)c->out);
}
static np700_status i_migrate(const struct call *c) {
    return np700_registry_migrate_legacy(REG(c), c->tenant, (const np700_legacy_options *)c->list,
                                         c->s, c->n, c->now, (np700_legacy_summary *)c->out,
                                         c->lines_ptr, c->lines_cap, c->needed_ptr);
}
static void after_export(const struct call *c) {
    CHECK(strncmp(c->doc, "{\"format\":\"np700-handover\"", 26) == 0);
    CHECK_U64(c->needed, strlen(c->doc) + 1);
}

static void free_out_config(const struct call *c) {
    EXPECT_OK(np700_config_free(*(np700_config **)c->out));
}
static void free_out_registry(const struct call *c) {
    EXPECT_OK(np700_registry_free(*(np700_registry **)c->out));
}
static void free_out_reader(const struct call *c) {
    EXPECT_OK(np700_reader_free(*(np700_reader **)c->out));
}

static void setup_spare_config(struct fx *f) {
    (void)f;
    np700_config *c = NULL;
    EXPECT_OK(np700_config_new(&c));
    M.spare = c;
}
static void setup_spare_registry(struct fx *f) {
    np700_registry *r = NULL;
    EXPECT_OK(np700_registry_new(f->cfg, &r));
    M.spare = r;
}
static void setup_spare_reader(struct fx *f) {
    np700_reader *r = NULL;
    EXPECT_OK(np700_reader_attach(f->path, strlen(f->path), &r));
    M.spare = r;
}
static void setup_journaled_registry(struct fx *f) {
    np700_registry *r = NULL;
    EXPECT_OK(np700_registry_open(f->cfg, journal_dir, strlen(journal_dir), &r, NULL));
    M.spare = r;
}
static void free_spare_registry(const struct call *c) {
    (void)c;
    EXPECT_OK(np700_registry_free((np700_registry *)M.spare));
}
static void setup_spare_follower(struct fx *f) {
    np700_follower *w = NULL;
    EXPECT_OK(np700_follower_open(f->cfg, journal_dir, strlen(journal_dir), &w));
    M.spare = w;
}
static void free_spare_follower(const struct call *c) {
    (void)c;
    EXPECT_OK(np700_follower_free((np700_follower *)M.spare));
}
static void free_out_follower(const struct call *c) {
    EXPECT_OK(np700_follower_free(*(np700_follower **)c->out));
}
static void setup_suspended(struct fx *f) {
    EXPECT_OK(np700_registry_suspend(f->reg, f->ta, f->ba, T0));
}

/*
 * The import's documents: a source registry's platform (two tenants on block 70020000000, the
 * second suspended, a binding each), the fixture's own platform and tenant A, and documents
 * written by hand. Tenant A's 70010000002 goes to quarantine first.
 */
static void setup_handover_docs(struct fx *f) {
    np700_registry *src = NULL;
    np700_bind_request r;
    np700_binding_info b;
    char *held;

    EXPECT_OK(np700_registry_reclaim_number(f->reg, f->ta, STR("70010000002"), T0));
    EXPECT_OK(np700_registry_new(f->cfg, &src));
    EXPECT_OK(np700_registry_license_block(src, STR("70020000000"), 10, T0));
    EXPECT_OK(np700_registry_register_tenant(src, STR("Source One"), NULL, 0, 0, T0,
                                             &H.source_active));
    EXPECT_OK(np700_registry_register_tenant(src, STR("Source Two"), NULL, 0, 0, T0,
                                             &H.source_suspended));
    EXPECT_OK(np700_registry_assign_number(src, H.source_active, STR("70020000001"), NULL, 0, T0));
    EXPECT_OK(np700_registry_assign_number(src, H.source_suspended, STR("70020000002"), NULL, 0,
                                           T0));
    r = fx_axb(H.source_active, "13800000081", "700200000010001", "13900000081");
    EXPECT_OK(np700_registry_bind(src, &r, T0, &b));
    r = fx_axb(H.source_suspended, "13800000082", "700200000020001", "13900000082");
    EXPECT_OK(np700_registry_bind(src, &r, T0, &b));
    EXPECT_OK(np700_registry_set_tenant_status(src, H.source_suspended, NP700_TENANT_SUSPENDED,
                                               T0));
    EXPECT_OK(np700_registry_export(src, 0, T0 + 1, H.doc[DOC_SOURCE], DOC_ROOM, NULL));
    EXPECT_OK(np700_registry_free(src));
    EXPECT_OK(np700_registry_export(f->reg, 0, T0 + 1, H.doc[DOC_SELF], DOC_ROOM, NULL));
    EXPECT_OK(np700_registry_export(f->reg, f->ta, T0 + 1, H.doc[DOC_TENANT_A], DOC_ROOM, NULL));
    snprintf(H.doc[DOC_NOT_A_HANDOVER], DOC_ROOM, "{\"format\":\"np700-journal\",\"version\":1}");
    snprintf(H.doc[DOC_VERSION_2], DOC_ROOM, "{\"format\":\"np700-handover\",\"version\":2}");
    /* Its number held by tenant 7, which it does not have. */
    ct_literal_handover(H.doc[DOC_INCONSISTENT], DOC_ROOM, "70030000000", 1, "70030000000", 1);
    held = strstr(H.doc[DOC_INCONSISTENT], "\"Held\":{\"tenant\":1");
    CHECK(held != NULL);
    if (held != NULL) {
        held[17] = '7';
    }
    /* A block overlapping the fixture's, so its number stays unlicensed. */
    ct_literal_handover(H.doc[DOC_OVERLAPPING], DOC_ROOM, "70010000005", 10, "70010000012", 1);
    /* Tenant A's number in quarantine, for a new tenant. */
    ct_literal_handover(H.doc[DOC_QUARANTINED], DOC_ROOM, "70010000000", 10, "70010000002", 1);
}

/* Controls. */
static void b_limit(struct fx *f, struct call *c) {
    b_cfg(f, c);
    c->code = NP700_LIMIT_SUBJECT_CALLER;
    c->media = NP700_MEDIA_VOICE;
    c->v[0] = 60;
    c->v[1] = 3;
}
static void b_probing(struct fx *f, struct call *c) {
    b_cfg(f, c);
    c->v[0] = 5;
    c->v[1] = 600;
    c->v[2] = 3600;
}
static void b_records(struct fx *f, struct call *c) {
    b_cfg(f, c);
    c->code = 1; /* enabled */
    c->v[0] = 4;
    c->v[1] = 16384;
}
static void b_sizes(struct fx *f, struct call *c) {
    b_cfg(f, c);
    c->v[0] = 1024;
    c->v[1] = 64;
    c->v[2] = 1024;
}
static void b_drain(struct fx *f, struct call *c) {
    b_reg(f, c);
    c->list = c->recs;
    c->count = RECS_ROOM;
}
/* Three routes queued for the drain's cases: none of them may take one. */
#define DRAIN_QUEUED 3
static void setup_records(struct fx *f) {
    for (uint64_t i = 1; i <= DRAIN_QUEUED; i++) {
        np700_decision d = ct_route(f->reg, FX_A_CUSTOMER, FX_A_X, NP700_MEDIA_VOICE, T0 + i);
        CHECK(d.kind == NP700_DECISION_ROUTE);
    }
}
static void after_drain(const struct call *c) {
    CHECK_U64(*(const size_t *)c->out, DRAIN_QUEUED);
    for (size_t i = 0; i < DRAIN_QUEUED; i++) {
        CHECK_U64(c->recs[i].at, T0 + 1 + i);
        CHECK_U64(c->recs[i].kind, NP700_DECISION_ROUTE);
        CHECK_STR(c->recs[i].dialed, FX_A_X);
    }
    CHECK(ct_untouched(&c->recs[DRAIN_QUEUED], sizeof c->recs[0]));
}
static np700_status i_add_limit(const struct call *c) {
    return np700_config_add_rate_limit(CFG(c), c->code, c->media, c->v[0], c->v[1]);
}
static np700_status i_clear_limits(const struct call *c) {
    return np700_config_clear_rate_limits(CFG(c));
}
static np700_status i_probing(const struct call *c) {
    return np700_config_set_probing(CFG(c), c->v[0], c->v[1], c->v[2]);
}
static np700_status i_records(const struct call *c) {
    return np700_config_set_records(CFG(c), c->code != 0, c->v[0], c->v[1]);
}
static np700_status i_sizes(const struct call *c) {
    return np700_config_set_control_sizes(CFG(c), c->v[0], c->v[1], c->v[2]);
}
static np700_status i_drain(const struct call *c) {
    return np700_registry_drain_records(REG(c), (np700_route_record *)c->list, c->count,
                                        (size_t *)c->out);
}
static np700_status i_dropped(const struct call *c) {
    return np700_registry_records_dropped(REG(c), (uint64_t *)c->out);
}
static np700_status i_abandoned(const struct call *c) {
    return np700_registry_records_abandoned(REG(c), (uint64_t *)c->out);
}
static np700_status i_untracked(const struct call *c) {
    return np700_registry_untracked(REG(c), (uint64_t *)c->out);
}

/* Regulatory controls: block lists, real-user reports, SMS, archive, reports. */
static uint64_t lift_target; /* the rule np700_registry_lift_block's base call lifts */
static void setup_block_rule(struct fx *f) {
    EXPECT_OK(np700_registry_block_caller(f->reg, f->ta, STR(FX_A_CUSTOMER), STR(FX_A_PARTY),
                                          false, 0, NULL, 0, T0, &lift_target));
}
static void b_block_caller(struct fx *f, struct call *c) {
    b_reg(f, c);
    c->tenant = 0;
    c->s = "13700000099"; /* caller */
    c->n = strlen(c->s);
    c->strs[0] = ct_str(NULL);        /* callee: anyone */
    c->strs[1] = ct_str("complaint"); /* note */
    c->value = 0;                     /* no expiry */
}
static void b_block_binding(struct fx *f, struct call *c) {
    b_reg(f, c);
    c->code = NP700_BLOCK_A_TO_B;
    c->s = "complaint"; /* note */
    c->n = strlen(c->s);
    c->value = T0 + 3600;
}
static void b_lift(struct fx *f, struct call *c) {
    b_reg(f, c);
    c->binding = lift_target;
}
static void b_real_user(struct fx *f, struct call *c) {
    b_reg(f, c);
    c->code = 1;
    c->s = FX_A_PARTY;
    c->n = strlen(c->s);
}
static void b_prefix(struct fx *f, struct call *c) {
    b_cfg(f, c);
    c->s = "95";
    c->n = 2;
}
static void b_keyword(struct fx *f, struct call *c) {
    b_cfg(f, c);
    c->s = "PIN";
    c->n = 3;
}
static void b_digits(struct fx *f, struct call *c) {
    b_cfg(f, c);
    c->v[0] = 4;
    c->v[1] = 8;
}
static void b_route_message(struct fx *f, struct call *c) {
    b_route(f, c);
    c->strs[1] = ct_str("on my way"); /* text */
}
static void b_reader_route_message(struct fx *f, struct call *c) {
    b_route_message(f, c);
    c->handle = f->rdr;
}
static void b_follower_route_message(struct fx *f, struct call *c) {
    b_route_message(f, c);
    c->handle = M.spare;
}
static void b_archive(struct fx *f, struct call *c) {
    b_cfg(f, c);
    c->code = 1;
    c->value = 86400;
}
static void b_end_call(struct fx *f, struct call *c) {
    b_reg(f, c);
    c->s = FX_A_CUSTOMER; /* caller */
    c->n = strlen(c->s);
    c->strs[0] = ct_str(FX_A_X); /* dialled */
    c->value = T0 + 1;           /* started_at */
    c->now = T0 + 60;
}
static void b_history(struct fx *f, struct call *c) {
    b_reg(f, c);
    c->s = FX_A_X; /* usage number */
    c->n = strlen(c->s);
    c->strs[0] = ct_str(FX_A_CUSTOMER); /* caller */
    c->value = T0 + 1;                  /* at */
}
static void after_history(const struct call *c) {
    const np700_history_hit *h = (const np700_history_hit *)c->out;
    CHECK(h->found && h->live);
    CHECK_STR(h->display, FX_A_X);
    CHECK_STR(h->to[0], "+8613800000001");
}
static void b_archive_drained(struct fx *f, struct call *c) {
    b_reg(f, c);
    c->value = 16;
}
static void b_report(struct fx *f, struct call *c) {
    b_export(f, c);
    c->from = T0;
    c->to = T0 + 86400;
}
static void after_report(const struct call *c) {
    CHECK_U64(strlen(c->doc), c->needed - 1);
    CHECK(strstr(c->doc, "\"name\": \"Hungry Panda\"") != NULL);
}
static void b_follower_drain(struct fx *f, struct call *c) {
    (void)f;
    c->handle = M.spare;
    c->list = c->recs;
    c->count = RECS_ROOM;
}
static void b_follower(struct fx *f, struct call *c) {
    (void)f;
    c->handle = M.spare;
}
static np700_status i_block_caller(const struct call *c) {
    return np700_registry_block_caller(REG(c), c->tenant, c->s, c->n, c->strs[0].ptr,
                                       c->strs[0].len, c->code != 0, c->value, c->strs[1].ptr,
                                       c->strs[1].len, c->now, (uint64_t *)c->out);
}
static np700_status i_block_binding(const struct call *c) {
    return np700_registry_block_binding(REG(c), c->tenant, c->binding, c->code, c->value, c->s,
                                        c->n, c->now, (uint64_t *)c->out);
}
static np700_status i_lift(const struct call *c) {
    return np700_registry_lift_block(REG(c), c->tenant, c->binding, c->now);
}
static np700_status i_real_user_required(const struct call *c) {
    return np700_registry_set_real_user_required(REG(c), c->tenant, c->code != 0, c->now);
}
static np700_status i_report_real_user(const struct call *c) {
    return np700_registry_report_real_user(REG(c), c->tenant, c->s, c->n, c->code != 0, c->now);
}
static np700_status i_prefix(const struct call *c) {
    return np700_config_add_sms_sender_prefix(CFG(c), c->s, c->n);
}
static np700_status i_keyword(const struct call *c) {
    return np700_config_add_sms_code_keyword(CFG(c), c->s, c->n);
}
static np700_status i_digits(const struct call *c) {
    return np700_config_set_sms_code_digits(CFG(c), c->v[0], c->v[1]);
}
static np700_status i_clear_sms(const struct call *c) {
    return np700_config_clear_sms_rules(CFG(c));
}
static np700_status i_route_message(const struct call *c) {
    return np700_route_message(REG(c), c->s, c->n, c->strs[0].ptr, c->strs[0].len,
                               c->strs[1].ptr, c->strs[1].len, c->now, (np700_decision *)c->out);
}
static np700_status i_reader_route_message(const struct call *c) {
    return np700_reader_route_message(RDR(c), c->s, c->n, c->strs[0].ptr, c->strs[0].len,
                                      c->strs[1].ptr, c->strs[1].len, c->now,
                                      (np700_decision *)c->out);
}
static np700_status i_follower_route_message(const struct call *c) {
    return np700_follower_route_message((const np700_follower *)c->handle, c->s, c->n,
                                        c->strs[0].ptr, c->strs[0].len, c->strs[1].ptr,
                                        c->strs[1].len, c->now, (np700_decision *)c->out);
}
static np700_status i_archive(const struct call *c) {
    return np700_config_set_archive(CFG(c), c->code != 0, c->value);
}
static np700_status i_end_call(const struct call *c) {
    return np700_registry_end_call(REG(c), c->binding, c->s, c->n, c->strs[0].ptr,
                                   c->strs[0].len, c->value, true, 60, 16, c->now);
}
static np700_status i_history(const struct call *c) {
    return np700_registry_history(REG(c), c->s, c->n, c->strs[0].ptr, c->strs[0].len, c->value,
                                  (np700_history_hit *)c->out);
}
static np700_status i_archive_drained(const struct call *c) {
    return np700_registry_archive_drained(REG(c), (size_t)c->value, c->now, (size_t *)c->out);
}
static np700_status i_report(const struct call *c) {
    return np700_registry_report(REG(c), c->from, c->to, c->now, c->buf, c->buf_len,
                                 c->needed_ptr);
}
static np700_status i_follower_drain(const struct call *c) {
    return np700_follower_drain_records((const np700_follower *)c->handle,
                                        (np700_route_record *)c->list, c->count,
                                        (size_t *)c->out);
}
static np700_status i_follower_dropped(const struct call *c) {
    return np700_follower_records_dropped((const np700_follower *)c->handle, (uint64_t *)c->out);
}
static np700_status i_follower_abandoned(const struct call *c) {
    return np700_follower_records_abandoned((const np700_follower *)c->handle, (uint64_t *)c->out);
}

#define OUT(t) sizeof(t)
/* name, handle, frees, has_now, out_size, shared, setup, base, invoke, after_ok */
static const struct fn FNS[] = {
    {"np700_config_new", H_NONE, 0, 0, OUT(np700_config *), 0, NULL, b_none, i_config_new,
     free_out_config},
    {"np700_config_free", H_CONFIG, 1, 0, 0, 0, setup_spare_config, b_spare, i_config_free, NULL},
    {"np700_config_set_binding_quarantine", H_CONFIG, 0, 0, 0, 0, NULL, b_cfg,
     i_binding_quarantine, NULL},
    {"np700_config_set_number_quarantine", H_CONFIG, 0, 0, 0, 0, NULL, b_cfg, i_number_quarantine,
     NULL},
    {"np700_config_set_default_pair_cap", H_CONFIG, 0, 0, 0, 0, NULL, b_cfg, i_pair_cap, NULL},
    {"np700_config_set_capacity", H_CONFIG, 0, 0, 0, 0, NULL, b_cfg, i_capacity, NULL},
    {"np700_config_set_shared_path", H_CONFIG, 0, 0, 0, 0, NULL, b_cfg, i_shared_path, NULL},
    {"np700_registry_new", H_CONFIG, 0, 0, OUT(np700_registry *), 0, NULL, b_cfg, i_registry_new,
     free_out_registry},
    {"np700_config_set_journal", H_CONFIG, 0, 0, 0, 0, NULL, b_cfg_journal, i_set_journal, NULL},
    {"np700_registry_open", H_CONFIG, 0, 0, OUT(np700_registry *), 0, NULL, b_open, i_open,
     free_out_registry},
    {"np700_registry_snapshot", H_REGISTRY, 0, 0, 0, 0, setup_journaled_registry, b_snapshot,
     i_snapshot, free_spare_registry},
    {"np700_registry_free", H_REGISTRY, 1, 0, 0, 0, setup_spare_registry, b_spare,
     i_registry_free, NULL},
    {"np700_registry_register_tenant", H_REGISTRY, 0, 1, OUT(uint32_t), 0, NULL, b_register,
     i_register, NULL},
    {"np700_registry_set_tenant_status", H_REGISTRY, 0, 1, 0, 0, NULL, b_status, i_status, NULL},
    {"np700_registry_record_violation", H_REGISTRY, 0, 1, 0, 0, NULL, b_violation, i_violation,
     NULL},
    {"np700_registry_tenant", H_REGISTRY, 0, 0, OUT(np700_tenant_info), 0, NULL, b_reg, i_tenant,
     NULL},
    {"np700_registry_license_block", H_REGISTRY, 0, 1, 0, 0, NULL, b_license, i_license, NULL},
    {"np700_registry_assign_number", H_REGISTRY, 0, 1, 0, 0, NULL, b_assign, i_assign, NULL},
    {"np700_registry_reclaim_number", H_REGISTRY, 0, 1, 0, 0, NULL, b_reclaim, i_reclaim, NULL},
    {"np700_registry_sweep", H_REGISTRY, 0, 1, OUT(size_t), 0, NULL, b_reg, i_sweep, NULL},
    {"np700_registry_stats", H_REGISTRY, 0, 0, OUT(np700_stats), 0, NULL, b_reg, i_stats, NULL},
    {"np700_registry_bind", H_REGISTRY, 0, 1, OUT(np700_binding_info), 0, NULL, b_bind, i_bind,
     NULL},
    {"np700_registry_update", H_REGISTRY, 0, 1, OUT(np700_binding_info), 0, NULL, b_update,
     i_update, NULL},
    {"np700_registry_suspend", H_REGISTRY, 0, 1, 0, 0, NULL, b_reg, i_suspend, NULL},
    {"np700_registry_resume", H_REGISTRY, 0, 1, 0, 0, setup_suspended, b_reg, i_resume, NULL},
    {"np700_registry_unbind", H_REGISTRY, 0, 1, 0, 0, NULL, b_reg, i_unbind, NULL},
    {"np700_registry_binding", H_REGISTRY, 0, 0, OUT(np700_binding_info), 0, NULL, b_reg,
     i_binding, NULL},
    {"np700_route", H_REGISTRY, 0, 1, OUT(np700_decision), 0, NULL, b_route, i_route, NULL},
    {"np700_reader_attach", H_NONE, 0, 0, OUT(np700_reader *), 1, NULL, b_attach, i_attach,
     free_out_reader},
    {"np700_reader_free", H_READER, 1, 0, 0, 1, setup_spare_reader, b_spare, i_reader_free, NULL},
    {"np700_reader_route", H_READER, 0, 1, OUT(np700_decision), 1, NULL, b_reader_route,
     i_reader_route, NULL},
    {"np700_reader_generation", H_READER, 0, 0, OUT(uint64_t), 1, NULL, b_rdr, i_generation, NULL},
    {"np700_follower_open", H_CONFIG, 0, 0, OUT(np700_follower *), 0, NULL, b_open,
     i_follower_open, free_out_follower},
    {"np700_follower_free", H_FOLLOWER, 1, 0, 0, 0, setup_spare_follower, b_spare, i_follower_free,
     NULL},
    {"np700_follower_poll", H_FOLLOWER, 0, 0, 0, 0, setup_spare_follower, b_follower_poll,
     i_follower_poll, free_spare_follower},
    {"np700_follower_route", H_FOLLOWER, 0, 1, OUT(np700_decision), 0, setup_spare_follower,
     b_follower_route, i_follower_route, free_spare_follower},
    {"np700_registry_export", H_REGISTRY, 0, 1, 0, 0, NULL, b_export, i_export, after_export},
    {"np700_registry_import", H_REGISTRY, 0, 1, OUT(np700_import_report), 0, setup_handover_docs,
     b_import, i_import, NULL},
    {"np700_registry_migrate_legacy", H_REGISTRY, 0, 1, OUT(np700_legacy_summary), 0, NULL,
     b_migrate, i_migrate, NULL},
    {"np700_config_add_rate_limit", H_CONFIG, 0, 0, 0, 0, NULL, b_limit, i_add_limit, NULL},
    {"np700_config_clear_rate_limits", H_CONFIG, 0, 0, 0, 0, NULL, b_cfg, i_clear_limits, NULL},
    {"np700_config_set_probing", H_CONFIG, 0, 0, 0, 0, NULL, b_probing, i_probing, NULL},
    {"np700_config_set_records", H_CONFIG, 0, 0, 0, 0, NULL, b_records, i_records, NULL},
    {"np700_config_set_control_sizes", H_CONFIG, 0, 0, 0, 0, NULL, b_sizes, i_sizes, NULL},
    {"np700_registry_drain_records", H_REGISTRY, 0, 0, OUT(size_t), 0, setup_records, b_drain,
     i_drain, after_drain},
    {"np700_registry_records_dropped", H_REGISTRY, 0, 0, OUT(uint64_t), 0, NULL, b_reg, i_dropped,
     NULL},
    {"np700_registry_records_abandoned", H_REGISTRY, 0, 0, OUT(uint64_t), 0, NULL, b_reg,
     i_abandoned, NULL},
    {"np700_registry_untracked", H_REGISTRY, 0, 0, OUT(uint64_t), 0, NULL, b_reg, i_untracked,
     NULL},
    {"np700_registry_block_caller", H_REGISTRY, 0, 1, OUT(uint64_t), 0, NULL, b_block_caller,
     i_block_caller, NULL},
    {"np700_registry_block_binding", H_REGISTRY, 0, 1, OUT(uint64_t), 0, NULL, b_block_binding,
     i_block_binding, NULL},
    {"np700_registry_lift_block", H_REGISTRY, 0, 1, 0, 0, setup_block_rule, b_lift, i_lift, NULL},
    {"np700_registry_set_real_user_required", H_REGISTRY, 0, 1, 0, 0, NULL, b_real_user,
     i_real_user_required, NULL},
    {"np700_registry_report_real_user", H_REGISTRY, 0, 1, 0, 0, NULL, b_real_user,
     i_report_real_user, NULL},
    {"np700_config_add_sms_sender_prefix", H_CONFIG, 0, 0, 0, 0, NULL, b_prefix, i_prefix, NULL},
    {"np700_config_add_sms_code_keyword", H_CONFIG, 0, 0, 0, 0, NULL, b_keyword, i_keyword, NULL},
    {"np700_config_set_sms_code_digits", H_CONFIG, 0, 0, 0, 0, NULL, b_digits, i_digits, NULL},
    {"np700_config_clear_sms_rules", H_CONFIG, 0, 0, 0, 0, NULL, b_cfg, i_clear_sms, NULL},
    {"np700_route_message", H_REGISTRY, 0, 1, OUT(np700_decision), 0, NULL, b_route_message,
     i_route_message, NULL},
    {"np700_reader_route_message", H_READER, 0, 1, OUT(np700_decision), 1, NULL,
     b_reader_route_message, i_reader_route_message, NULL},
    {"np700_follower_route_message", H_FOLLOWER, 0, 1, OUT(np700_decision), 0,
     setup_spare_follower, b_follower_route_message, i_follower_route_message,
     free_spare_follower},
    {"np700_config_set_archive", H_CONFIG, 0, 0, 0, 0, NULL, b_archive, i_archive, NULL},
    {"np700_registry_end_call", H_REGISTRY, 0, 1, 0, 0, NULL, b_end_call, i_end_call, NULL},
    {"np700_registry_history", H_REGISTRY, 0, 0, OUT(np700_history_hit), 0, NULL, b_history,
     i_history, after_history},
    {"np700_registry_archive_drained", H_REGISTRY, 0, 1, OUT(size_t), 0, NULL, b_archive_drained,
     i_archive_drained, NULL},
    {"np700_registry_report", H_REGISTRY, 0, 1, 0, 0, NULL, b_report, i_report, after_report},
    {"np700_follower_drain_records", H_FOLLOWER, 0, 0, OUT(size_t), 0, setup_spare_follower,
     b_follower_drain, i_follower_drain, free_spare_follower},
    {"np700_follower_records_dropped", H_FOLLOWER, 0, 0, OUT(uint64_t), 0, setup_spare_follower,
     b_follower, i_follower_dropped, free_spare_follower},
    {"np700_follower_records_abandoned", H_FOLLOWER, 0, 0, OUT(uint64_t), 0,
     setup_spare_follower, b_follower, i_follower_abandoned, free_spare_follower},
};
#define N_FNS (sizeof FNS / sizeof FNS[0])

/* ---- mutations ------------------------------------------------------------------------------ */

typedef void (*mutate_fn)(struct fx *, struct call *, long long);

/* Handle variants, for any function taking one. */
enum { HV_NULL, HV_ONE, HV_MAX, HV_TOKEN, HV_ADDRESS, HV_STALE, HV_TWICE, HV_OTHER_TYPE, HV_COUNT };
static const char *const HV_NAME[HV_COUNT] = {
    "NULL handle",         "forged handle 1", "forged handle UINTPTR_MAX",
    "forged token of its type", "address of a variable", "freed handle (slot reused)",
    "handle freed twice",  "handle of another type",
};

static void m_handle(struct fx *f, struct call *c, long long v) {
    int kind = M.fn->handle;
    switch (v) {
    case HV_NULL:
        c->handle = NULL;
        break;
    case HV_ONE:
        c->handle = FORGED(void, 1);
        break;
    case HV_MAX:
        c->handle = FORGED(void, UINTPTR_MAX);
        break;
    case HV_TOKEN: { /* what a handle of this type with generation 0 would look like */
        uintptr_t type_bits = kind == H_REGISTRY ? 1 : kind == H_READER ? 2 : kind == H_FOLLOWER ? 4 : 3;
        c->handle = FORGED(void, type_bits << 10 | 5);
        break;
    }
    case HV_ADDRESS:
        c->handle = &anchor;
        break;
    case HV_STALE:
        c->handle = M.stale[kind];
        break;
    case HV_TWICE:
        c->handle = M.twice[kind];
        break;
    default:
        c->handle = kind == H_CONFIG ? (void *)f->reg : (void *)f->cfg;
        break;
    }
}

static void m_out(struct fx *f, struct call *c, long long misaligned) {
    (void)f;
    c->out = misaligned ? MISALIGNED(void, c->out) : NULL;
}
static void m_now(struct fx *f, struct call *c, long long v) {
    (void)f;
    c->now = (uint64_t)v;
}
static void m_value(struct fx *f, struct call *c, long long v) {
    (void)f;
    c->value = (uint64_t)v;
}
static void m_code(struct fx *f, struct call *c, long long v) {
    (void)f;
    c->code = (uint32_t)v;
}
/* Tenant ids: >= 0 as given, -1 the other tenant (B). */
#define OTHER_TENANT (-1)
static uint32_t tenant_id(const struct fx *f, long long v) {
    return v == OTHER_TENANT ? f->tb : (uint32_t)v;
}
static void m_tenant(struct fx *f, struct call *c, long long v) {
    c->tenant = tenant_id(f, v);
}
/* Binding ids: >= 0 as given, -1 UINT64_MAX, -2 the other tenant's binding. */
#define OTHER_BINDING (-2)
static uint64_t binding_id(const struct fx *f, long long v) {
    return v == OTHER_BINDING ? f->bb : (uint64_t)v;
}
static void m_binding(struct fx *f, struct call *c, long long v) {
    c->binding = binding_id(f, v);
}
static void m_str(struct fx *f, struct call *c, long long cls) {
    np700_str s = class_str((int)cls);
    (void)f;
    c->s = s.ptr;
    c->n = s.len;
}
static const char *const TEXT[] = {
    "700100000010001", /* 0: a usage number */
    "13812345678",     /* 1: a mobile number */
    "70090000000",     /* 2: a management number not licensed */
    "70010000005",     /* 3: tenant B's management number */
    "70010000001",     /* 4: tenant A's management number with a live binding */
    "70010000000",     /* 5: a licensed number */
    "70010000003",     /* 6: licensed, held by nobody */
};
static void m_text(struct fx *f, struct call *c, long long i) {
    (void)f;
    c->s = TEXT[i];
    c->n = strlen(TEXT[i]);
}
static void m_dialed(struct fx *f, struct call *c, long long cls) {
    (void)f;
    c->strs[0] = class_str((int)cls);
}
static void m_caller_text(struct fx *f, struct call *c, long long i) {
    (void)f;
    c->s = i == 0 ? FX_B_CUSTOMER : "18600000009";
    c->n = strlen(c->s);
}
static void m_dialed_text(struct fx *f, struct call *c, long long i) {
    (void)f;
    c->strs[0] = ct_str(i == 0 ? FX_B_X : "70010000001");
}
/* Lists: the list pointer NULL with a length, misaligned, or too long. */
static void m_list_null(struct fx *f, struct call *c, long long len) {
    (void)f;
    c->list = NULL;
    c->count = (size_t)len;
}
static void m_list_misaligned(struct fx *f, struct call *c, long long unused) {
    (void)f;
    (void)unused;
    c->list = MISALIGNED(void, c->list);
}
static void m_scenarios(struct fx *f, struct call *c, long long n) {
    (void)f;
    for (long long i = 0; i < n; i++) {
        c->codes[i] = NP700_SCENARIO_DELIVERY;
    }
    c->count = (size_t)n;
}
static void m_scenario_code(struct fx *f, struct call *c, long long v) {
    (void)f;
    c->codes[1] = (np700_scenario)v;
}
static void m_tags(struct fx *f, struct call *c, long long n) {
    (void)f;
    for (long long i = 0; i < n; i++) {
        c->strs[i] = ct_str("t");
    }
    c->count = (size_t)n;
}
static void m_tag_item(struct fx *f, struct call *c, long long cls) {
    (void)f;
    c->strs[0] = class_str((int)cls);
}

/* Bind request fields. */
#define BR (&c->bind)
static void m_bind_tenant(struct fx *f, struct call *c, long long v) {
    BR->tenant = tenant_id(f, v);
}
static void m_bind_mode(struct fx *f, struct call *c, long long v) {
    (void)f;
    BR->mode = (np700_mode)v;
}
static void m_bind_a(struct fx *f, struct call *c, long long cls) {
    (void)f;
    BR->a = class_str((int)cls);
}
static void m_bind_b(struct fx *f, struct call *c, long long cls) {
    (void)f;
    BR->b = class_str((int)cls);
}
static void m_bind_x(struct fx *f, struct call *c, long long cls) {
    (void)f;
    BR->x.given = class_str((int)cls);
}
static void m_bind_x_text(struct fx *f, struct call *c, long long i) {
    (void)f;
    BR->x.given = ct_str(i == 0 ? FX_B_X : i == 1 ? "70010000001" : FX_A_X);
    if (i == 2) { /* a party that already sees X */
        BR->a = ct_str(FX_A_PARTY);
    }
}
static void m_bind_x_tag(struct fx *f, struct call *c, long long cls) {
    (void)f;
    BR->x.given = ct_str(NULL);
    BR->x.tag = class_str((int)cls);
}
static void m_bind_x_strict_tag(struct fx *f, struct call *c, long long unused) {
    (void)f;
    (void)unused;
    BR->x.given = ct_str(NULL);
    BR->x.tag = ct_str("nowhere");
    BR->x.tag_strict = 1;
}
static void m_bind_x_sticky(struct fx *f, struct call *c, long long cls) {
    (void)f;
    BR->x.given = ct_str(NULL);
    BR->x.sticky_for = class_str((int)cls);
}
static void m_bind_y(struct fx *f, struct call *c, long long cls) {
    (void)f;
    BR->mode = NP700_MODE_AXYB;
    BR->y.given = class_str((int)cls);
}
static void m_bind_order(struct fx *f, struct call *c, long long cls) {
    (void)f;
    BR->order_id = class_str((int)cls);
}
static void m_bind_consent(struct fx *f, struct call *c, long long cls) {
    (void)f;
    BR->consent_ref = class_str((int)cls);
}
static void m_bind_external(struct fx *f, struct call *c, long long cls) {
    (void)f;
    BR->external_ref = class_str((int)cls);
}
static void m_bind_expires(struct fx *f, struct call *c, long long v) {
    (void)f;
    BR->expires_at = (uint64_t)v;
}
static void m_bind_media(struct fx *f, struct call *c, long long v) {
    (void)f;
    BR->policy.media = (np700_media)v;
}
static void m_bind_direction(struct fx *f, struct call *c, long long v) {
    (void)f;
    BR->policy.direction = (np700_direction)v;
}
static void m_bind_window(struct fx *f, struct call *c, long long start) {
    (void)f;
    BR->policy.has_window = 1;
    BR->policy.window_start_minute = (uint16_t)start;
    BR->policy.window_end_minute = 600;
}
/* GXB with `n` members (<= LIST_ROOM) from the distinct numbers. */
static void gxb(struct call *c, long long n) {
    BR->mode = NP700_MODE_GXB;
    BR->a = ct_str(NULL);
    for (long long i = 0; i < n; i++) {
        c->strs[i] = ct_str(M.numbers[i]);
    }
    BR->group = c->strs;
    BR->group_len = (size_t)n;
}
static void m_bind_group(struct fx *f, struct call *c, long long n) {
    (void)f;
    gxb(c, n);
}
static void m_bind_group_item(struct fx *f, struct call *c, long long cls) {
    (void)f;
    gxb(c, 2);
    c->strs[1] = class_str((int)cls);
}
static void m_bind_group_null(struct fx *f, struct call *c, long long unused) {
    (void)f;
    (void)unused;
    gxb(c, 1);
    BR->group = NULL;
}
static void m_bind_group_misaligned(struct fx *f, struct call *c, long long unused) {
    (void)f;
    (void)unused;
    gxb(c, 1);
    BR->group = MISALIGNED(const np700_str, c->strs);
}
static void m_bind_group_on_axb(struct fx *f, struct call *c, long long unused) {
    (void)f;
    (void)unused;
    c->strs[0] = ct_str(M.numbers[0]);
    BR->group = c->strs;
    BR->group_len = 1;
}
static void m_bind_a_on_gxb(struct fx *f, struct call *c, long long unused) {
    (void)f;
    (void)unused;
    gxb(c, 1);
    BR->a = ct_str("13800000098");
}
static void m_bind_same_parties(struct fx *f, struct call *c, long long unused) {
    (void)f;
    (void)unused;
    BR->b = ct_str("+86 138-0000-0099"); /* A again */
}
/* AXN with `n` allowed callers. */
static void axn_allowed(struct call *c, long long n) {
    BR->mode = NP700_MODE_AXN;
    for (long long i = 0; i < n; i++) {
        c->strs[i] = ct_str(M.numbers[i]);
    }
    BR->policy.allowed_callers = c->strs;
    BR->policy.allowed_callers_len = (size_t)n;
}
static void m_bind_allowed(struct fx *f, struct call *c, long long n) {
    (void)f;
    axn_allowed(c, n);
}
static void m_bind_allowed_item(struct fx *f, struct call *c, long long cls) {
    (void)f;
    axn_allowed(c, 2);
    c->strs[1] = class_str((int)cls);
}
static void m_bind_allowed_null(struct fx *f, struct call *c, long long unused) {
    (void)f;
    (void)unused;
    axn_allowed(c, 1);
    BR->policy.allowed_callers = NULL;
}
static void m_bind_allowed_misaligned(struct fx *f, struct call *c, long long unused) {
    (void)f;
    (void)unused;
    axn_allowed(c, 1);
    BR->policy.allowed_callers = MISALIGNED(const np700_str, c->strs);
}
#undef BR

/* Update request fields. */
#define UR (&c->update)
static void m_upd_tenant(struct fx *f, struct call *c, long long v) {
    UR->tenant = tenant_id(f, v);
}
static void m_upd_binding(struct fx *f, struct call *c, long long v) {
    UR->binding = binding_id(f, v);
}
static void m_upd_counterpart(struct fx *f, struct call *c, long long v) {
    (void)f;
    UR->counterpart = (np700_counterpart)v;
}
static void m_upd_number(struct fx *f, struct call *c, long long cls) {
    (void)f;
    UR->number = class_str((int)cls);
}
static void m_upd_group_item(struct fx *f, struct call *c, long long cls) {
    (void)f;
    UR->counterpart = NP700_COUNTERPART_GROUP;
    c->strs[0] = ct_str(M.numbers[0]);
    c->strs[1] = class_str((int)cls);
    UR->group = c->strs;
    UR->group_len = 2;
}
static void m_upd_group(struct fx *f, struct call *c, long long n) {
    (void)f;
    UR->counterpart = NP700_COUNTERPART_GROUP;
    for (long long i = 0; i < n; i++) {
        c->strs[i] = ct_str(M.numbers[i]);
    }
    UR->group = n < 0 ? NULL : c->strs;
    UR->group_len = n < 0 ? 1 : (size_t)n;
}
static void m_upd_group_misaligned(struct fx *f, struct call *c, long long unused) {
    (void)unused;
    m_upd_group(f, c, 1);
    UR->group = MISALIGNED(const np700_str, c->strs);
}
static void m_upd_expires(struct fx *f, struct call *c, long long v) {
    (void)f;
    UR->expires_at = (uint64_t)v;
}
/* A policy with media `v`; or -1 the pointer misaligned, -2 allowed callers NULL with a
 * length, -3 an allowed caller NULL with a length. */
static void m_upd_policy(struct fx *f, struct call *c, long long v) {
    (void)f;
    c->policy = np700_policy_default();
    UR->policy = &c->policy;
    if (v == -1) {
        UR->policy = MISALIGNED(const np700_policy, &c->policy);
    } else if (v == -2) {
        c->policy.allowed_callers_len = 1;
    } else if (v == -3) {
        c->strs[0] = class_str(S_NULL_LEN);
        c->policy.allowed_callers = c->strs;
        c->policy.allowed_callers_len = 1;
    } else {
        c->policy.media = (np700_media)v;
    }
}
static void m_upd_nothing(struct fx *f, struct call *c, long long unused) {
    (void)f;
    (void)unused;
    UR->counterpart = NP700_COUNTERPART_NONE;
    UR->number = ct_str(NULL);
}
#undef UR

static void m_fixture_registry(struct fx *f, struct call *c, long long unused) {
    (void)unused;
    c->handle = f->reg;
}
static void m_bad_config(struct fx *f, struct call *c, long long which) {
    (void)f;
    c->handle = M.bad_path[which];
}

/* Hand-over. */
/* The export's buffer: -1 NULL with its length, 0 (NULL, 0), n > 0 n bytes. */
static void m_buf(struct fx *f, struct call *c, long long v) {
    (void)f;
    c->buf = v <= 0 ? NULL : c->doc;
    c->buf_len = v < 0 ? sizeof c->doc : (size_t)v;
}
static void m_needed_misaligned(struct fx *f, struct call *c, long long unused) {
    (void)f;
    (void)unused;
    c->needed_ptr = MISALIGNED(size_t, &c->needed);
}
static void m_doc(struct fx *f, struct call *c, long long which) {
    (void)f;
    c->s = H.doc[which];
    c->n = strlen(c->s);
}
/* Tenant mappings of the source document (its tenants 1 active, 2 suspended). */
enum { MAP_FROM_UNKNOWN, MAP_TO_UNKNOWN, MAP_TWO_ONTO_A, MAP_ONE_TWICE, MAP_SUSPENDED_ONTO_B,
       MAP_TOO_LONG, MAP_MISALIGNED };
static void m_map(struct fx *f, struct call *c, long long v) {
    c->list = c->map;
    c->count = 1;
    switch (v) {
    case MAP_FROM_UNKNOWN:
        c->map[0].exported = 9;
        c->map[0].target = f->ta;
        break;
    case MAP_TO_UNKNOWN:
        c->map[0].exported = H.source_active;
        c->map[0].target = 999;
        break;
    case MAP_TWO_ONTO_A:
    case MAP_ONE_TWICE:
        c->map[0].exported = H.source_active;
        c->map[0].target = f->ta;
        c->map[1].exported = v == MAP_ONE_TWICE ? H.source_active : H.source_suspended;
        c->map[1].target = v == MAP_ONE_TWICE ? f->tb : f->ta;
        c->count = 2;
        break;
    case MAP_SUSPENDED_ONTO_B:
        c->map[0].exported = H.source_suspended;
        c->map[0].target = f->tb;
        break;
    case MAP_TOO_LONG:
        c->list = H.big_map;
        c->count = NP700_MAX_TABLE_LEN + 1;
        break;
    default:
        c->list = MISALIGNED(const np700_tenant_mapping, c->map);
        break;
    }
}
/* The fixture's own platform, its tenants mapped onto themselves: every entry is in use. */
static void m_self_mapped(struct fx *f, struct call *c, long long unused) {
    (void)unused;
    m_doc(f, c, DOC_SELF);
    c->map[0].exported = c->map[0].target = f->ta;
    c->map[1].exported = c->map[1].target = f->tb;
    c->list = c->map;
    c->count = 2;
}
/* Tenant A's hand-over onto tenant B: A's numbers would change tenant. */
static void m_a_onto_b(struct fx *f, struct call *c, long long unused) {
    (void)unused;
    m_doc(f, c, DOC_TENANT_A);
    c->map[0].exported = f->ta;
    c->map[0].target = f->tb;
    c->list = c->map;
    c->count = 1;
}
#define LO (&c->legacy)
static void m_options_misaligned(struct fx *f, struct call *c, long long unused) {
    (void)f;
    (void)unused;
    c->list = MISALIGNED(const np700_legacy_options, &c->legacy);
}
/* The legacy table: -1 NULL with a length, -2 misaligned, -3 one entry too many. */
static void m_table(struct fx *f, struct call *c, long long v) {
    (void)f;
    if (v == -1) {
        LO->table = NULL;
    } else if (v == -2) {
        LO->table = MISALIGNED(const np700_legacy_mapping, c->table);
    } else {
        LO->table = H.big_table;
        LO->table_len = NP700_MAX_TABLE_LEN + 1;
    }
}
static void m_table_legacy(struct fx *f, struct call *c, long long cls) {
    (void)f;
    c->table[0].legacy = class_str((int)cls);
}
static void m_table_target(struct fx *f, struct call *c, long long cls) {
    (void)f;
    c->table[0].target = class_str((int)cls);
}
static void m_table_target_text(struct fx *f, struct call *c, long long i) {
    (void)f;
    c->table[0].target = ct_str(i == 0 ? FX_B_X : "70010000005");
}
static void m_legacy_tag(struct fx *f, struct call *c, long long cls) {
    (void)f;
    LO->tag = class_str((int)cls);
}
/* The legacy policy: -1 misaligned, -2 allowed callers NULL with a length, -3 direction 3, or
 * media `v`. */
static void m_legacy_policy(struct fx *f, struct call *c, long long v) {
    (void)f;
    c->policy = np700_policy_default();
    LO->policy = &c->policy;
    if (v == -1) {
        LO->policy = MISALIGNED(const np700_policy, &c->policy);
    } else if (v == -2) {
        c->policy.allowed_callers_len = 1;
    } else if (v == -3) {
        c->policy.direction = 3;
    } else {
        c->policy.media = (np700_media)v;
    }
}
#undef LO
/* The line outcomes: -1 NULL with a capacity, -2 misaligned, n >= 0 a capacity of n. */
static void m_lines(struct fx *f, struct call *c, long long v) {
    (void)f;
    if (v == -1) {
        c->lines_ptr = NULL;
    } else if (v == -2) {
        c->lines_ptr = MISALIGNED(np700_legacy_line, c->lines);
    } else {
        c->lines_cap = (size_t)v;
    }
}

/* Controls. */
static void m_media(struct fx *f, struct call *c, long long v) {
    (void)f;
    c->media = (uint32_t)v;
}
static void m_v0(struct fx *f, struct call *c, long long v) {
    (void)f;
    c->v[0] = (uint32_t)v;
}
static void m_v1(struct fx *f, struct call *c, long long v) {
    (void)f;
    c->v[1] = (uint32_t)v;
}
static void m_v2(struct fx *f, struct call *c, long long v) {
    (void)f;
    c->v[2] = (uint32_t)v;
}
static void m_probing_off(struct fx *f, struct call *c, long long unused) {
    (void)f;
    (void)unused;
    c->v[0] = c->v[1] = c->v[2] = 0;
}
static void m_full_limits(struct fx *f, struct call *c, long long unused) {
    (void)f;
    (void)unused;
    c->handle = M.full_limits;
}
/* The drained array: -1 NULL with capacity 4, -2 misaligned, 0 (NULL, 0), 1 capacity 0. */
static void m_recs(struct fx *f, struct call *c, long long v) {
    (void)f;
    if (v == -1) {
        c->list = NULL;
    } else if (v == -2) {
        c->list = MISALIGNED(np700_route_record, c->recs);
    } else {
        c->list = v == 0 ? NULL : c->recs;
        c->count = 0;
    }
}

/* Regulatory controls. */
static void m_str1(struct fx *f, struct call *c, long long cls) {
    (void)f;
    c->strs[1] = class_str((int)cls);
}
static void m_strs0(struct fx *f, struct call *c, long long cls) {
    (void)f;
    c->strs[0] = class_str((int)cls);
}
/* The callee: 0 the caller itself, 1 a number (with both ways: valid). */
static void m_callee(struct fx *f, struct call *c, long long i) {
    (void)f;
    c->strs[0] = ct_str(i == 0 ? c->s : FX_A_PARTY);
    c->code = 1; /* both ways */
}
static void m_both_ways(struct fx *f, struct call *c, long long unused) {
    (void)f;
    (void)unused;
    c->code = 1;
}
static void m_full_sms(struct fx *f, struct call *c, long long unused) {
    (void)f;
    (void)unused;
    c->handle = M.full_sms;
}
static void m_from(struct fx *f, struct call *c, long long v) {
    (void)f;
    c->from = (uint64_t)v;
}
static void m_to(struct fx *f, struct call *c, long long v) {
    (void)f;
    c->to = (uint64_t)v;
}
/* The SMS sender or text: 0 a commercial port, 1 a verification code. */
static void m_sms_case(struct fx *f, struct call *c, long long i) {
    (void)f;
    if (i == 0) {
        c->s = "10690001234";
        c->n = strlen(c->s);
    } else {
        c->strs[1] = ct_str("Your verification code is 482913");
    }
}

/* ---- function-specific rows -------------------------------------------------------------- */

struct row {
    const char *fn;
    const char *what;
    mutate_fn mutate;
    long long param;
    np700_status expect;
    np700_reject_reason reject; /* expect == OK on a route: the REJECT reason */
};

#define R(fn, what, m, p, st) {fn, what, m, (long long)(p), st, 0}
#define TOO_LATE ((long long)NP700_TIME_MAX + 1)
#define ALL_ONES (-1LL) /* UINT64_MAX / SIZE_MAX once converted */

static const struct row ROWS[] = {
    /* configurations */
    R("np700_config_set_binding_quarantine", "10 years + 1 s", m_value,
      NP700_MAX_QUARANTINE_SECS + 1, NP700_ERR_OUT_OF_RANGE),
    R("np700_config_set_binding_quarantine", "UINT64_MAX s", m_value, ALL_ONES,
      NP700_ERR_OUT_OF_RANGE),
    R("np700_config_set_number_quarantine", "10 years + 1 s", m_value,
      NP700_MAX_QUARANTINE_SECS + 1, NP700_ERR_OUT_OF_RANGE),
    R("np700_config_set_number_quarantine", "UINT64_MAX s", m_value, ALL_ONES,
      NP700_ERR_OUT_OF_RANGE),
    R("np700_config_set_default_pair_cap", "pair cap 0", m_value, 0, NP700_ERR_OUT_OF_RANGE),
    R("np700_config_set_capacity", "NP700_MAX_CAPACITY + 1", m_value, NP700_MAX_CAPACITY + 1,
      NP700_ERR_OUT_OF_RANGE),
    R("np700_config_set_capacity", "SIZE_MAX", m_value, ALL_ONES, NP700_ERR_OUT_OF_RANGE),
    R("np700_registry_new", "shared path in a missing directory", m_bad_config, 0, NP700_ERR_IO),
    R("np700_registry_new", "shared path with a NUL byte", m_bad_config, 1, NP700_ERR_IO),
    R("np700_config_set_journal", "commit 3", m_code, 3, NP700_ERR_BAD_ENUM),
    R("np700_follower_open", "shared path in a missing directory", m_bad_config, 0, NP700_ERR_IO),
    R("np700_follower_poll", "out misaligned", m_list_misaligned, 0, NP700_ERR_NULL),
    R("np700_follower_route", "media 0", m_code, 0, NP700_ERR_BAD_ENUM),
    R("np700_config_set_journal", "commit UINT32_MAX", m_code, UINT32_MAX, NP700_ERR_BAD_ENUM),
    R("np700_registry_open", "shared path in a missing directory", m_bad_config, 0, NP700_ERR_IO),
    R("np700_registry_open", "recovery misaligned", m_list_misaligned, 0, NP700_ERR_NULL),
    R("np700_registry_snapshot", "seq misaligned", m_list_misaligned, 0, NP700_ERR_NULL),
    R("np700_registry_snapshot", "a registry without a journal", m_fixture_registry, 0,
      NP700_ERR_IO),
    /* tenants */
    R("np700_registry_register_tenant", "scenarios NULL with length 1", m_list_null, 1,
      NP700_ERR_NULL),
    R("np700_registry_register_tenant", "scenarios misaligned", m_list_misaligned, 0,
      NP700_ERR_NULL),
    R("np700_registry_register_tenant", "65 scenarios", m_scenarios, 65, NP700_ERR_TOO_LONG),
    R("np700_registry_register_tenant", "scenario 0", m_scenario_code, 0, NP700_ERR_BAD_ENUM),
    R("np700_registry_register_tenant", "scenario 9", m_scenario_code, 9, NP700_ERR_BAD_ENUM),
    R("np700_registry_register_tenant", "scenario UINT32_MAX", m_scenario_code, UINT32_MAX,
      NP700_ERR_BAD_ENUM),
    R("np700_registry_set_tenant_status", "tenant 0", m_tenant, 0, NP700_ERR_UNKNOWN_TENANT),
    R("np700_registry_set_tenant_status", "tenant 999", m_tenant, 999, NP700_ERR_UNKNOWN_TENANT),
    R("np700_registry_set_tenant_status", "tenant UINT32_MAX", m_tenant, UINT32_MAX,
      NP700_ERR_UNKNOWN_TENANT),
    R("np700_registry_set_tenant_status", "status 0", m_code, 0, NP700_ERR_BAD_ENUM),
    R("np700_registry_set_tenant_status", "status 4", m_code, 4, NP700_ERR_BAD_ENUM),
    R("np700_registry_set_tenant_status", "status UINT32_MAX", m_code, UINT32_MAX,
      NP700_ERR_BAD_ENUM),
    R("np700_registry_set_tenant_status", "status unchanged", m_code, NP700_TENANT_ACTIVE,
      NP700_ERR_TENANT_STATUS_UNCHANGED),
    R("np700_registry_record_violation", "tenant 0", m_tenant, 0, NP700_ERR_UNKNOWN_TENANT),
    R("np700_registry_record_violation", "tenant 999", m_tenant, 999, NP700_ERR_UNKNOWN_TENANT),
    R("np700_registry_record_violation", "tenant UINT32_MAX", m_tenant, UINT32_MAX,
      NP700_ERR_UNKNOWN_TENANT),
    R("np700_registry_record_violation", "kind 0", m_code, 0, NP700_ERR_BAD_ENUM),
    R("np700_registry_record_violation", "kind 6", m_code, 6, NP700_ERR_BAD_ENUM),
    R("np700_registry_record_violation", "kind UINT32_MAX", m_code, UINT32_MAX, NP700_ERR_BAD_ENUM),
    R("np700_registry_tenant", "tenant 0", m_tenant, 0, NP700_ERR_UNKNOWN_TENANT),
    R("np700_registry_tenant", "tenant 999", m_tenant, 999, NP700_ERR_UNKNOWN_TENANT),
    R("np700_registry_tenant", "tenant UINT32_MAX", m_tenant, UINT32_MAX, NP700_ERR_UNKNOWN_TENANT),
    /* numbers */
    R("np700_registry_license_block", "a usage number", m_text, 0, NP700_ERR_BAD_NUMBER),
    R("np700_registry_license_block", "a mobile number", m_text, 1, NP700_ERR_BAD_NUMBER),
    R("np700_registry_license_block", "count 0", m_value, 0, NP700_ERR_INVALID_BLOCK),
    R("np700_registry_license_block", "count 100001", m_value, 100001, NP700_ERR_INVALID_BLOCK),
    R("np700_registry_license_block", "count UINT32_MAX", m_value, UINT32_MAX,
      NP700_ERR_INVALID_BLOCK),
    R("np700_registry_license_block", "overlapping", m_text, 5, NP700_ERR_BLOCK_OVERLAPS),
    R("np700_registry_assign_number", "a usage number", m_text, 0, NP700_ERR_BAD_NUMBER),
    R("np700_registry_assign_number", "a mobile number", m_text, 1, NP700_ERR_BAD_NUMBER),
    R("np700_registry_assign_number", "not licensed", m_text, 2, NP700_ERR_NOT_LICENSED),
    R("np700_registry_assign_number", "tenant B's number", m_text, 3,
      NP700_ERR_HELD_BY_ANOTHER_TENANT),
    R("np700_registry_assign_number", "already held", m_text, 4, NP700_ERR_ALREADY_ASSIGNED),
    R("np700_registry_assign_number", "tenant 0", m_tenant, 0, NP700_ERR_UNKNOWN_TENANT),
    R("np700_registry_assign_number", "tenant 999", m_tenant, 999, NP700_ERR_UNKNOWN_TENANT),
    R("np700_registry_assign_number", "tenant UINT32_MAX", m_tenant, UINT32_MAX,
      NP700_ERR_UNKNOWN_TENANT),
    R("np700_registry_assign_number", "tags NULL with length 1", m_list_null, 1, NP700_ERR_NULL),
    R("np700_registry_assign_number", "tags misaligned", m_list_misaligned, 0, NP700_ERR_NULL),
    R("np700_registry_assign_number", "65 tags", m_tags, 65, NP700_ERR_TOO_LONG),
    R("np700_registry_reclaim_number", "a usage number", m_text, 0, NP700_ERR_BAD_NUMBER),
    R("np700_registry_reclaim_number", "a mobile number", m_text, 1, NP700_ERR_BAD_NUMBER),
    R("np700_registry_reclaim_number", "not licensed", m_text, 2, NP700_ERR_NOT_LICENSED),
    R("np700_registry_reclaim_number", "tenant B's number", m_text, 3, NP700_ERR_NOT_HELD),
    R("np700_registry_reclaim_number", "held by nobody", m_text, 6, NP700_ERR_NOT_HELD),
    R("np700_registry_reclaim_number", "carrying a binding", m_text, 4, NP700_ERR_NUMBER_IN_USE),
    R("np700_registry_reclaim_number", "tenant B", m_tenant, OTHER_TENANT, NP700_ERR_NOT_HELD),
    R("np700_registry_reclaim_number", "tenant 999", m_tenant, 999, NP700_ERR_UNKNOWN_TENANT),
    /* bind */
    R("np700_registry_bind", "request NULL", m_list_null, 0, NP700_ERR_NULL),
    R("np700_registry_bind", "request misaligned", m_list_misaligned, 0, NP700_ERR_NULL),
    R("np700_registry_bind", "mode 0", m_bind_mode, 0, NP700_ERR_BAD_ENUM),
    R("np700_registry_bind", "mode 5", m_bind_mode, 5, NP700_ERR_BAD_ENUM),
    R("np700_registry_bind", "mode UINT32_MAX", m_bind_mode, UINT32_MAX, NP700_ERR_BAD_ENUM),
    R("np700_registry_bind", "tenant 0", m_bind_tenant, 0, NP700_ERR_UNKNOWN_TENANT),
    R("np700_registry_bind", "tenant 999", m_bind_tenant, 999, NP700_ERR_UNKNOWN_TENANT),
    R("np700_registry_bind", "tenant UINT32_MAX", m_bind_tenant, UINT32_MAX,
      NP700_ERR_UNKNOWN_TENANT),
    R("np700_registry_bind", "tenant B on tenant A's X", m_bind_tenant, OTHER_TENANT,
      NP700_ERR_NOT_HELD),
    R("np700_registry_bind", "X of tenant B", m_bind_x_text, 0, NP700_ERR_NOT_HELD),
    R("np700_registry_bind", "X a management number", m_bind_x_text, 1, NP700_ERR_BAD_NUMBER),
    R("np700_registry_bind", "A already sees X", m_bind_x_text, 2, NP700_ERR_PARTY_ALREADY_BOUND),
    R("np700_registry_bind", "strict tag nobody has", m_bind_x_strict_tag, 0,
      NP700_ERR_TAG_UNMATCHED),
    R("np700_registry_bind", "A twice", m_bind_same_parties, 0, NP700_ERR_INVALID_PARTIES),
    R("np700_registry_bind", "expiry NP700_TIME_MAX + 1", m_bind_expires, TOO_LATE,
      NP700_ERR_OUT_OF_RANGE),
    R("np700_registry_bind", "expiry UINT64_MAX - 1", m_bind_expires, -2LL, NP700_ERR_OUT_OF_RANGE),
    R("np700_registry_bind", "expiry now", m_bind_expires, T0 + 1, NP700_ERR_EXPIRY_NOT_IN_FUTURE),
    R("np700_registry_bind", "expiry 0", m_bind_expires, 0, NP700_ERR_EXPIRY_NOT_IN_FUTURE),
    R("np700_registry_bind", "media 0", m_bind_media, 0, NP700_ERR_INVALID_POLICY),
    R("np700_registry_bind", "media bit 4", m_bind_media, 4, NP700_ERR_BAD_ENUM),
    R("np700_registry_bind", "media UINT32_MAX", m_bind_media, UINT32_MAX, NP700_ERR_BAD_ENUM),
    R("np700_registry_bind", "direction 3", m_bind_direction, 3, NP700_ERR_BAD_ENUM),
    R("np700_registry_bind", "direction UINT32_MAX", m_bind_direction, UINT32_MAX,
      NP700_ERR_BAD_ENUM),
    R("np700_registry_bind", "window start 1440", m_bind_window, 1440, NP700_ERR_INVALID_POLICY),
    R("np700_registry_bind", "window start 65535", m_bind_window, 65535, NP700_ERR_INVALID_POLICY),
    R("np700_registry_bind", "window start = end", m_bind_window, 600, NP700_ERR_INVALID_POLICY),
    R("np700_registry_bind", "GXB group NULL with length 1", m_bind_group_null, 0, NP700_ERR_NULL),
    R("np700_registry_bind", "GXB group misaligned", m_bind_group_misaligned, 0, NP700_ERR_NULL),
    R("np700_registry_bind", "GXB group of 65", m_bind_group, 65, NP700_ERR_TOO_LONG),
    R("np700_registry_bind", "GXB group of 9", m_bind_group, 9, NP700_ERR_INVALID_PARTIES),
    R("np700_registry_bind", "GXB group empty", m_bind_group, 0, NP700_ERR_INVALID_PARTIES),
    R("np700_registry_bind", "GXB with A", m_bind_a_on_gxb, 0, NP700_ERR_INVALID_PARTIES),
    R("np700_registry_bind", "AXB with a group", m_bind_group_on_axb, 0, NP700_ERR_INVALID_PARTIES),
    R("np700_registry_bind", "AXN allowed callers NULL with length 1", m_bind_allowed_null, 0,
      NP700_ERR_NULL),
    R("np700_registry_bind", "AXN allowed callers misaligned", m_bind_allowed_misaligned, 0,
      NP700_ERR_NULL),
    R("np700_registry_bind", "AXN 65 allowed callers", m_bind_allowed, 65, NP700_ERR_TOO_LONG),
    R("np700_registry_bind", "AXN 33 allowed callers", m_bind_allowed, 33,
      NP700_ERR_INVALID_POLICY),
    /* update */
    R("np700_registry_update", "request NULL", m_list_null, 0, NP700_ERR_NULL),
    R("np700_registry_update", "request misaligned", m_list_misaligned, 0, NP700_ERR_NULL),
    R("np700_registry_update", "counterpart 4", m_upd_counterpart, 4, NP700_ERR_BAD_ENUM),
    R("np700_registry_update", "counterpart UINT32_MAX", m_upd_counterpart, UINT32_MAX,
      NP700_ERR_BAD_ENUM),
    R("np700_registry_update", "counterpart N of an AXB", m_upd_counterpart, NP700_COUNTERPART_N,
      NP700_ERR_UPDATE_NOT_APPLICABLE),
    R("np700_registry_update", "group of an AXB", m_upd_group, 2, NP700_ERR_UPDATE_NOT_APPLICABLE),
    R("np700_registry_update", "group NULL with length 1", m_upd_group, -1, NP700_ERR_NULL),
    R("np700_registry_update", "group misaligned", m_upd_group_misaligned, 0, NP700_ERR_NULL),
    R("np700_registry_update", "group of 65", m_upd_group, 65, NP700_ERR_TOO_LONG),
    R("np700_registry_update", "policy misaligned", m_upd_policy, -1, NP700_ERR_NULL),
    R("np700_registry_update", "policy allowed callers NULL with length 1", m_upd_policy, -2,
      NP700_ERR_NULL),
    R("np700_registry_update", "policy allowed_callers[0] NULL with length 11", m_upd_policy, -3,
      NP700_ERR_NULL),
    R("np700_registry_update", "policy media bit 4", m_upd_policy, 4, NP700_ERR_BAD_ENUM),
    R("np700_registry_update", "policy media 0", m_upd_policy, 0, NP700_ERR_INVALID_POLICY),
    R("np700_registry_update", "expiry NP700_TIME_MAX + 1", m_upd_expires, TOO_LATE,
      NP700_ERR_OUT_OF_RANGE),
    R("np700_registry_update", "expiry now", m_upd_expires, T0 + 1, NP700_ERR_EXPIRY_NOT_IN_FUTURE),
    R("np700_registry_update", "nothing to change", m_upd_nothing, 0, NP700_ERR_EMPTY_UPDATE),
    R("np700_registry_update", "binding 0", m_upd_binding, 0, NP700_ERR_UNKNOWN_BINDING),
    R("np700_registry_update", "binding 999", m_upd_binding, 999, NP700_ERR_UNKNOWN_BINDING),
    R("np700_registry_update", "binding UINT64_MAX", m_upd_binding, ALL_ONES,
      NP700_ERR_UNKNOWN_BINDING),
    R("np700_registry_update", "tenant B's binding", m_upd_binding, OTHER_BINDING,
      NP700_ERR_CROSS_TENANT),
    R("np700_registry_update", "by tenant B", m_upd_tenant, OTHER_TENANT, NP700_ERR_CROSS_TENANT),
    R("np700_registry_update", "by tenant 999", m_upd_tenant, 999, NP700_ERR_UNKNOWN_TENANT),
    /* lifecycle */
    R("np700_registry_suspend", "binding 0", m_binding, 0, NP700_ERR_UNKNOWN_BINDING),
    R("np700_registry_suspend", "binding 999", m_binding, 999, NP700_ERR_UNKNOWN_BINDING),
    R("np700_registry_suspend", "binding UINT64_MAX", m_binding, ALL_ONES,
      NP700_ERR_UNKNOWN_BINDING),
    R("np700_registry_suspend", "tenant B's binding", m_binding, OTHER_BINDING,
      NP700_ERR_CROSS_TENANT),
    R("np700_registry_suspend", "by tenant B", m_tenant, OTHER_TENANT, NP700_ERR_CROSS_TENANT),
    R("np700_registry_suspend", "by tenant 999", m_tenant, 999, NP700_ERR_UNKNOWN_TENANT),
    R("np700_registry_resume", "binding 0", m_binding, 0, NP700_ERR_UNKNOWN_BINDING),
    R("np700_registry_resume", "binding 999", m_binding, 999, NP700_ERR_UNKNOWN_BINDING),
    R("np700_registry_resume", "binding UINT64_MAX", m_binding, ALL_ONES,
      NP700_ERR_UNKNOWN_BINDING),
    R("np700_registry_resume", "tenant B's (active) binding", m_binding, OTHER_BINDING,
      NP700_ERR_CROSS_TENANT),
    R("np700_registry_resume", "by tenant B", m_tenant, OTHER_TENANT, NP700_ERR_CROSS_TENANT),
    R("np700_registry_resume", "by tenant 999", m_tenant, 999, NP700_ERR_UNKNOWN_TENANT),
    R("np700_registry_unbind", "binding 0", m_binding, 0, NP700_ERR_UNKNOWN_BINDING),
    R("np700_registry_unbind", "binding 999", m_binding, 999, NP700_ERR_UNKNOWN_BINDING),
    R("np700_registry_unbind", "binding UINT64_MAX", m_binding, ALL_ONES,
      NP700_ERR_UNKNOWN_BINDING),
    R("np700_registry_unbind", "tenant B's binding", m_binding, OTHER_BINDING,
      NP700_ERR_CROSS_TENANT),
    R("np700_registry_unbind", "by tenant B", m_tenant, OTHER_TENANT, NP700_ERR_CROSS_TENANT),
    R("np700_registry_unbind", "by tenant 999", m_tenant, 999, NP700_ERR_UNKNOWN_TENANT),
    R("np700_registry_binding", "binding 0", m_binding, 0, NP700_ERR_UNKNOWN_BINDING),
    R("np700_registry_binding", "binding 999", m_binding, 999, NP700_ERR_UNKNOWN_BINDING),
    R("np700_registry_binding", "binding UINT64_MAX", m_binding, ALL_ONES,
      NP700_ERR_UNKNOWN_BINDING),
    R("np700_registry_binding", "tenant B's binding", m_binding, OTHER_BINDING,
      NP700_ERR_CROSS_TENANT),
    R("np700_registry_binding", "by tenant B", m_tenant, OTHER_TENANT, NP700_ERR_CROSS_TENANT),
    R("np700_registry_binding", "by tenant 999", m_tenant, 999, NP700_ERR_CROSS_TENANT),
    /* routes: bad enums are errors; someone else's number is a refusal, never a route */
    R("np700_route", "media 0", m_code, 0, NP700_ERR_BAD_ENUM),
    R("np700_route", "media NP700_MEDIA_ALL", m_code, NP700_MEDIA_ALL, NP700_ERR_BAD_ENUM),
    R("np700_route", "media UINT32_MAX", m_code, UINT32_MAX, NP700_ERR_BAD_ENUM),
    {"np700_route", "tenant B's customer dials tenant A's X", m_caller_text, 0, NP700_OK,
     NP700_REJECT_CALLER_NOT_PERMITTED},
    {"np700_route", "a stranger dials X", m_caller_text, 1, NP700_OK,
     NP700_REJECT_CALLER_NOT_PERMITTED},
    {"np700_route", "tenant A's customer dials tenant B's X", m_dialed_text, 0, NP700_OK,
     NP700_REJECT_CALLER_NOT_PERMITTED},
    R("np700_reader_route", "media 0", m_code, 0, NP700_ERR_BAD_ENUM),
    R("np700_reader_route", "media NP700_MEDIA_ALL", m_code, NP700_MEDIA_ALL, NP700_ERR_BAD_ENUM),
    R("np700_reader_route", "media UINT32_MAX", m_code, UINT32_MAX, NP700_ERR_BAD_ENUM),
    {"np700_reader_route", "tenant B's customer dials tenant A's X", m_caller_text, 0, NP700_OK,
     NP700_REJECT_CALLER_NOT_PERMITTED},
    {"np700_reader_route", "a stranger dials X", m_caller_text, 1, NP700_OK,
     NP700_REJECT_CALLER_NOT_PERMITTED},
    {"np700_reader_route", "tenant A's customer dials tenant B's X", m_dialed_text, 0, NP700_OK,
     NP700_REJECT_CALLER_NOT_PERMITTED},
    /* hand-over: export */
    R("np700_registry_export", "tenant 999", m_tenant, 999, NP700_ERR_UNKNOWN_TENANT),
    R("np700_registry_export", "tenant UINT32_MAX", m_tenant, UINT32_MAX, NP700_ERR_UNKNOWN_TENANT),
    R("np700_registry_export", "buf NULL with a length", m_buf, -1, NP700_ERR_NULL),
    R("np700_registry_export", "buf (NULL, 0): the size only", m_buf, 0,
      NP700_ERR_BUFFER_TOO_SMALL),
    R("np700_registry_export", "a buffer of 1 byte", m_buf, 1, NP700_ERR_BUFFER_TOO_SMALL),
    R("np700_registry_export", "a buffer of 100 bytes", m_buf, 100, NP700_ERR_BUFFER_TOO_SMALL),
    R("np700_registry_export", "needed misaligned", m_needed_misaligned, 0, NP700_ERR_NULL),
    /* import: the document */
    R("np700_registry_import", "another format", m_doc, DOC_NOT_A_HANDOVER,
      NP700_ERR_NOT_A_HANDOVER),
    R("np700_registry_import", "version 2", m_doc, DOC_VERSION_2, NP700_ERR_HANDOVER_VERSION),
    R("np700_registry_import", "a number held by a tenant it does not have", m_doc,
      DOC_INCONSISTENT, NP700_ERR_HANDOVER_INCONSISTENT),
    R("np700_registry_import", "a number unlicensed here (blocks overlap)", m_doc, DOC_OVERLAPPING,
      NP700_ERR_NOT_LICENSED),
    R("np700_registry_import", "a number in quarantine after tenant A", m_doc, DOC_QUARANTINED,
      NP700_ERR_NUMBER_IN_QUARANTINE),
    R("np700_registry_import", "its own platform, tenants new: numbers held by A and B", m_doc,
      DOC_SELF, NP700_ERR_HELD_BY_ANOTHER_TENANT),
    R("np700_registry_import", "its own platform mapped onto itself", m_self_mapped, 0,
      NP700_ERR_ENTRY_IN_USE),
    R("np700_registry_import", "tenant A's hand-over onto tenant B", m_a_onto_b, 0,
      NP700_ERR_HELD_BY_ANOTHER_TENANT),
    R("np700_registry_import", "ids kept that the registry issued", m_code,
      NP700_IMPORT_KEEP_IDS, NP700_ERR_BINDING_ID_TAKEN),
    R("np700_registry_import", "binding_ids 2", m_code, 2, NP700_ERR_BAD_ENUM),
    R("np700_registry_import", "binding_ids UINT32_MAX", m_code, UINT32_MAX, NP700_ERR_BAD_ENUM),
    /* import: the tenant mapping */
    R("np700_registry_import", "tenant_map NULL with length 1", m_list_null, 1, NP700_ERR_NULL),
    R("np700_registry_import", "tenant_map misaligned", m_map, MAP_MISALIGNED, NP700_ERR_NULL),
    R("np700_registry_import", "tenant_map of NP700_MAX_TABLE_LEN + 1", m_map, MAP_TOO_LONG,
      NP700_ERR_TOO_LONG),
    R("np700_registry_import", "a tenant the hand-over does not have", m_map, MAP_FROM_UNKNOWN,
      NP700_ERR_MAPPING_FROM_UNKNOWN),
    R("np700_registry_import", "onto tenant 999", m_map, MAP_TO_UNKNOWN,
      NP700_ERR_MAPPING_TO_UNKNOWN),
    R("np700_registry_import", "two tenants onto tenant A", m_map, MAP_TWO_ONTO_A,
      NP700_ERR_MAPPING_NOT_ONE_TO_ONE),
    R("np700_registry_import", "one tenant listed twice", m_map, MAP_ONE_TWICE,
      NP700_ERR_MAPPING_NOT_ONE_TO_ONE),
    R("np700_registry_import", "a suspended tenant onto active tenant B", m_map,
      MAP_SUSPENDED_ONTO_B, NP700_ERR_TENANT_STATUS_DIFFERS),
    /* legacy migration */
    R("np700_registry_migrate_legacy", "tenant 0", m_tenant, 0, NP700_ERR_UNKNOWN_TENANT),
    R("np700_registry_migrate_legacy", "tenant 999", m_tenant, 999, NP700_ERR_UNKNOWN_TENANT),
    R("np700_registry_migrate_legacy", "tenant UINT32_MAX", m_tenant, UINT32_MAX,
      NP700_ERR_UNKNOWN_TENANT),
    R("np700_registry_migrate_legacy", "options misaligned", m_options_misaligned, 0,
      NP700_ERR_NULL),
    R("np700_registry_migrate_legacy", "options.table NULL with length 1", m_table, -1,
      NP700_ERR_NULL),
    R("np700_registry_migrate_legacy", "options.table misaligned", m_table, -2, NP700_ERR_NULL),
    R("np700_registry_migrate_legacy", "options.table of NP700_MAX_TABLE_LEN + 1", m_table, -3,
      NP700_ERR_TOO_LONG),
    R("np700_registry_migrate_legacy", "options.policy misaligned", m_legacy_policy, -1,
      NP700_ERR_NULL),
    R("np700_registry_migrate_legacy", "options.policy allowed callers NULL with length 1",
      m_legacy_policy, -2, NP700_ERR_NULL),
    R("np700_registry_migrate_legacy", "options.policy direction 3", m_legacy_policy, -3,
      NP700_ERR_BAD_ENUM),
    R("np700_registry_migrate_legacy", "options.policy media bit 4", m_legacy_policy, 4,
      NP700_ERR_BAD_ENUM),
    R("np700_registry_migrate_legacy", "lines NULL with capacity 4", m_lines, -1, NP700_ERR_NULL),
    R("np700_registry_migrate_legacy", "lines misaligned", m_lines, -2, NP700_ERR_NULL),
    R("np700_registry_migrate_legacy", "lines of capacity 0 for 1 line", m_lines, 0,
      NP700_ERR_BUFFER_TOO_SMALL),
    R("np700_registry_migrate_legacy", "lines_needed misaligned", m_needed_misaligned, 0,
      NP700_ERR_NULL),
    /* refused lines, not errors: nothing is bound, nothing crosses tenants */
    R("np700_registry_migrate_legacy", "options.policy media 0 (each line refused)",
      m_legacy_policy, 0, NP700_OK),
    R("np700_registry_migrate_legacy", "mapped onto tenant B's usage number", m_table_target_text,
      0, NP700_OK),
    R("np700_registry_migrate_legacy", "mapped onto tenant B's management number",
      m_table_target_text, 1, NP700_OK),
    R("np700_registry_migrate_legacy", "tenant B onto tenant A's number", m_tenant, OTHER_TENANT,
      NP700_OK),
    /* controls: configuration */
    R("np700_config_add_rate_limit", "subject 0", m_code, 0, NP700_ERR_BAD_ENUM),
    R("np700_config_add_rate_limit", "subject 4", m_code, 4, NP700_ERR_BAD_ENUM),
    R("np700_config_add_rate_limit", "subject UINT32_MAX", m_code, UINT32_MAX, NP700_ERR_BAD_ENUM),
    R("np700_config_add_rate_limit", "media 0", m_media, 0, NP700_ERR_BAD_ENUM),
    R("np700_config_add_rate_limit", "media bit 4", m_media, 4, NP700_ERR_BAD_ENUM),
    R("np700_config_add_rate_limit", "media UINT32_MAX", m_media, UINT32_MAX, NP700_ERR_BAD_ENUM),
    R("np700_config_add_rate_limit", "window 0 s", m_v0, 0, NP700_ERR_OUT_OF_RANGE),
    R("np700_config_add_rate_limit", "max 0", m_v1, 0, NP700_ERR_OUT_OF_RANGE),
    R("np700_config_add_rate_limit", "NP700_MAX_RATE_LIMITS + 1 limits", m_full_limits, 0,
      NP700_ERR_TOO_LONG),
    R("np700_config_add_rate_limit", "media NP700_MEDIA_ALL", m_media, NP700_MEDIA_ALL, NP700_OK),
    R("np700_config_set_probing", "distinct_numbers 0", m_v0, 0, NP700_ERR_OUT_OF_RANGE),
    R("np700_config_set_probing", "window 0 s", m_v1, 0, NP700_ERR_OUT_OF_RANGE),
    R("np700_config_set_probing", "block 0 s", m_v2, 0, NP700_ERR_OUT_OF_RANGE),
    R("np700_config_set_probing", "(0, 0, 0): off", m_probing_off, 0, NP700_OK),
    R("np700_config_set_records", "record_shards 0", m_v0, 0, NP700_ERR_OUT_OF_RANGE),
    R("np700_config_set_records", "record_shards NP700_MAX_CONTROL_SIZE + 1", m_v0,
      NP700_MAX_CONTROL_SIZE + 1, NP700_ERR_OUT_OF_RANGE),
    R("np700_config_set_records", "record_shards UINT32_MAX", m_v0, UINT32_MAX,
      NP700_ERR_OUT_OF_RANGE),
    R("np700_config_set_records", "records_per_shard 0", m_v1, 0, NP700_ERR_OUT_OF_RANGE),
    R("np700_config_set_records", "records_per_shard NP700_MAX_CONTROL_SIZE + 1", m_v1,
      NP700_MAX_CONTROL_SIZE + 1, NP700_ERR_OUT_OF_RANGE),
    R("np700_config_set_records", "records_per_shard UINT32_MAX", m_v1, UINT32_MAX,
      NP700_ERR_OUT_OF_RANGE),
    R("np700_config_set_records", "disabled", m_code, 0, NP700_OK),
    R("np700_config_set_control_sizes", "counter_slots 0", m_v0, 0, NP700_ERR_OUT_OF_RANGE),
    R("np700_config_set_control_sizes", "counter_slots NP700_MAX_CONTROL_SIZE + 1", m_v0,
      NP700_MAX_CONTROL_SIZE + 1, NP700_ERR_OUT_OF_RANGE),
    R("np700_config_set_control_sizes", "counter_slots UINT32_MAX", m_v0, UINT32_MAX,
      NP700_ERR_OUT_OF_RANGE),
    R("np700_config_set_control_sizes", "mark_slots 0", m_v1, 0, NP700_ERR_OUT_OF_RANGE),
    R("np700_config_set_control_sizes", "mark_slots NP700_MAX_CONTROL_SIZE + 1", m_v1,
      NP700_MAX_CONTROL_SIZE + 1, NP700_ERR_OUT_OF_RANGE),
    R("np700_config_set_control_sizes", "mark_slots UINT32_MAX", m_v1, UINT32_MAX,
      NP700_ERR_OUT_OF_RANGE),
    R("np700_config_set_control_sizes", "block_rules 0", m_v2, 0, NP700_ERR_OUT_OF_RANGE),
    R("np700_config_set_control_sizes", "block_rules NP700_MAX_CONTROL_SIZE + 1", m_v2,
      NP700_MAX_CONTROL_SIZE + 1, NP700_ERR_OUT_OF_RANGE),
    R("np700_config_set_control_sizes", "block_rules UINT32_MAX", m_v2, UINT32_MAX,
      NP700_ERR_OUT_OF_RANGE),
    /* controls: records (a drain that fails takes nothing: the base call drains all three) */
    R("np700_registry_drain_records", "out NULL with capacity 4", m_recs, -1, NP700_ERR_NULL),
    R("np700_registry_drain_records", "out misaligned", m_recs, -2, NP700_ERR_NULL),
    R("np700_registry_drain_records", "(NULL, 0)", m_recs, 0, NP700_OK),
    R("np700_registry_drain_records", "capacity 0", m_recs, 1, NP700_OK),
    /* block lists */
    R("np700_registry_block_caller", "tenant 999", m_tenant, 999, NP700_ERR_UNKNOWN_TENANT),
    R("np700_registry_block_caller", "tenant UINT32_MAX", m_tenant, UINT32_MAX,
      NP700_ERR_UNKNOWN_TENANT),
    R("np700_registry_block_caller", "callee = caller", m_callee, 0,
      NP700_ERR_INVALID_BLOCK_REQUEST),
    R("np700_registry_block_caller", "both ways without a callee", m_both_ways, 0,
      NP700_ERR_INVALID_BLOCK_REQUEST),
    R("np700_registry_block_caller", "both ways with a callee", m_callee, 1, NP700_OK),
    R("np700_registry_block_caller", "expiry now", m_value, T0 + 1,
      NP700_ERR_EXPIRY_NOT_IN_FUTURE),
    R("np700_registry_block_caller", "expiry NP700_TIME_MAX + 1", m_value, TOO_LATE,
      NP700_ERR_OUT_OF_RANGE),
    R("np700_registry_block_caller", "expiry NP700_TIME_NEVER", m_value, ALL_ONES, NP700_OK),
    R("np700_registry_block_binding", "direction 0", m_code, 0, NP700_ERR_BAD_ENUM),
    R("np700_registry_block_binding", "direction 4", m_code, 4, NP700_ERR_BAD_ENUM),
    R("np700_registry_block_binding", "direction UINT32_MAX", m_code, UINT32_MAX,
      NP700_ERR_BAD_ENUM),
    R("np700_registry_block_binding", "binding 0", m_binding, 0, NP700_ERR_UNKNOWN_BINDING),
    R("np700_registry_block_binding", "binding UINT64_MAX", m_binding, ALL_ONES,
      NP700_ERR_UNKNOWN_BINDING),
    R("np700_registry_block_binding", "tenant B's binding", m_binding, OTHER_BINDING,
      NP700_ERR_CROSS_TENANT),
    R("np700_registry_block_binding", "by tenant 999", m_tenant, 999, NP700_ERR_UNKNOWN_TENANT),
    R("np700_registry_block_binding", "by the platform operator", m_tenant, 0, NP700_OK),
    R("np700_registry_block_binding", "expiry now", m_value, T0 + 1,
      NP700_ERR_EXPIRY_NOT_IN_FUTURE),
    R("np700_registry_block_binding", "expiry NP700_TIME_MAX + 1", m_value, TOO_LATE,
      NP700_ERR_OUT_OF_RANGE),
    R("np700_registry_lift_block", "by tenant B", m_tenant, OTHER_TENANT,
      NP700_ERR_BLOCK_RULE_NOT_OWNED),
    R("np700_registry_lift_block", "by tenant 999", m_tenant, 999, NP700_ERR_UNKNOWN_TENANT),
    R("np700_registry_lift_block", "rule 0", m_binding, 0, NP700_ERR_UNKNOWN_BLOCK_RULE),
    R("np700_registry_lift_block", "rule 999", m_binding, 999, NP700_ERR_UNKNOWN_BLOCK_RULE),
    R("np700_registry_lift_block", "rule UINT64_MAX", m_binding, ALL_ONES,
      NP700_ERR_UNKNOWN_BLOCK_RULE),
    /* real-user reports */
    R("np700_registry_set_real_user_required", "tenant 0", m_tenant, 0, NP700_ERR_UNKNOWN_TENANT),
    R("np700_registry_set_real_user_required", "tenant 999", m_tenant, 999,
      NP700_ERR_UNKNOWN_TENANT),
    R("np700_registry_set_real_user_required", "tenant UINT32_MAX", m_tenant, UINT32_MAX,
      NP700_ERR_UNKNOWN_TENANT),
    R("np700_registry_report_real_user", "tenant 0", m_tenant, 0, NP700_ERR_UNKNOWN_TENANT),
    R("np700_registry_report_real_user", "tenant 999", m_tenant, 999, NP700_ERR_UNKNOWN_TENANT),
    R("np700_registry_report_real_user", "a usage number", m_text, 0, NP700_ERR_BAD_NUMBER),
    R("np700_registry_report_real_user", "withdrawn", m_code, 0, NP700_OK),
    /* SMS rules */
    R("np700_config_add_sms_sender_prefix", "NP700_MAX_SMS_PREFIXES + 1", m_full_sms, 0,
      NP700_ERR_TOO_LONG),
    R("np700_config_add_sms_code_keyword", "NP700_MAX_SMS_KEYWORDS + 1", m_full_sms, 0,
      NP700_ERR_TOO_LONG),
    R("np700_config_set_sms_code_digits", "min 0", m_v0, 0, NP700_ERR_OUT_OF_RANGE),
    R("np700_config_set_sms_code_digits", "min > max", m_v0, 9, NP700_ERR_OUT_OF_RANGE),
    R("np700_config_set_sms_code_digits", "max NP700_MAX_SMS_CODE_DIGITS + 1", m_v1,
      NP700_MAX_SMS_CODE_DIGITS + 1, NP700_ERR_OUT_OF_RANGE),
    R("np700_config_set_sms_code_digits", "max UINT32_MAX", m_v1, UINT32_MAX,
      NP700_ERR_OUT_OF_RANGE),
    R("np700_config_set_sms_code_digits", "max NP700_MAX_SMS_CODE_DIGITS", m_v1,
      NP700_MAX_SMS_CODE_DIGITS, NP700_OK),
    {"np700_route_message", "a commercial sender", m_sms_case, 0, NP700_OK,
     NP700_REJECT_COMMERCIAL_SENDER},
    {"np700_route_message", "a verification code", m_sms_case, 1, NP700_OK,
     NP700_REJECT_VERIFICATION_CODE},
    {"np700_route_message", "tenant B's customer dials tenant A's X", m_caller_text, 0, NP700_OK,
     NP700_REJECT_CALLER_NOT_PERMITTED},
    {"np700_reader_route_message", "a commercial sender", m_sms_case, 0, NP700_OK,
     NP700_REJECT_COMMERCIAL_SENDER},
    {"np700_reader_route_message", "a verification code", m_sms_case, 1, NP700_OK,
     NP700_REJECT_VERIFICATION_CODE},
    {"np700_follower_route_message", "a commercial sender", m_sms_case, 0, NP700_OK,
     NP700_REJECT_COMMERCIAL_SENDER},
    {"np700_follower_route_message", "a verification code", m_sms_case, 1, NP700_OK,
     NP700_REJECT_VERIFICATION_CODE},
    /* archive and reports */
    R("np700_config_set_archive", "retention 0 s", m_value, 0, NP700_ERR_OUT_OF_RANGE),
    R("np700_config_set_archive", "retention NP700_MAX_RETENTION_SECS + 1", m_value,
      NP700_MAX_RETENTION_SECS + 1, NP700_ERR_OUT_OF_RANGE),
    R("np700_config_set_archive", "retention UINT64_MAX", m_value, ALL_ONES,
      NP700_ERR_OUT_OF_RANGE),
    R("np700_config_set_archive", "disabled", m_code, 0, NP700_OK),
    R("np700_registry_end_call", "binding 0", m_binding, 0, NP700_ERR_UNKNOWN_BINDING),
    R("np700_registry_end_call", "binding 999", m_binding, 999, NP700_ERR_UNKNOWN_BINDING),
    R("np700_registry_end_call", "binding UINT64_MAX", m_binding, ALL_ONES,
      NP700_ERR_UNKNOWN_BINDING),
    R("np700_registry_end_call", "started_at NP700_TIME_MAX + 1", m_value, TOO_LATE,
      NP700_ERR_OUT_OF_RANGE),
    R("np700_registry_end_call", "a management number dialled", m_dialed_text, 1,
      NP700_ERR_BAD_NUMBER),
    R("np700_registry_history", "at NP700_TIME_MAX + 1", m_value, TOO_LATE,
      NP700_ERR_OUT_OF_RANGE),
    R("np700_registry_history", "at UINT64_MAX", m_value, ALL_ONES, NP700_ERR_OUT_OF_RANGE),
    R("np700_registry_history", "a management number", m_text, 4, NP700_ERR_BAD_NUMBER),
    R("np700_registry_archive_drained", "max_records 0", m_value, 0, NP700_OK),
    R("np700_registry_archive_drained", "max_records SIZE_MAX", m_value, ALL_ONES, NP700_OK),
    R("np700_registry_report", "period_from NP700_TIME_MAX + 1", m_from, TOO_LATE,
      NP700_ERR_OUT_OF_RANGE),
    R("np700_registry_report", "period_to NP700_TIME_MAX + 1", m_to, TOO_LATE,
      NP700_ERR_OUT_OF_RANGE),
    R("np700_registry_report", "period_from after period_to", m_from, T0 + 86401,
      NP700_ERR_OUT_OF_RANGE),
    R("np700_registry_report", "an empty period", m_to, T0, NP700_OK),
    R("np700_registry_report", "buf NULL with a length", m_buf, -1, NP700_ERR_NULL),
    R("np700_registry_report", "buf (NULL, 0): the size only", m_buf, 0,
      NP700_ERR_BUFFER_TOO_SMALL),
    R("np700_registry_report", "a buffer of 1 byte", m_buf, 1, NP700_ERR_BUFFER_TOO_SMALL),
    R("np700_registry_report", "a buffer of 100 bytes", m_buf, 100, NP700_ERR_BUFFER_TOO_SMALL),
    R("np700_registry_report", "needed misaligned", m_needed_misaligned, 0, NP700_ERR_NULL),
    R("np700_follower_drain_records", "out NULL with capacity 4", m_recs, -1, NP700_ERR_NULL),
    R("np700_follower_drain_records", "out misaligned", m_recs, -2, NP700_ERR_NULL),
    R("np700_follower_drain_records", "(NULL, 0)", m_recs, 0, NP700_OK),
    R("np700_follower_drain_records", "capacity 0", m_recs, 1, NP700_OK),
};
#define N_ROWS (sizeof ROWS / sizeof ROWS[0])

/* String arguments and the profile each answers with. */
struct str_row {
    const char *fn;
    const char *arg;
    mutate_fn set; /* takes the class */
    const struct profile *p;
};

static const struct str_row STR_ROWS[] = {
    {"np700_config_set_shared_path", "path", m_str, &P_PATH_SET},
    {"np700_registry_open", "dir", m_str, &P_DIR},
    {"np700_follower_open", "dir", m_str, &P_DIR},
    {"np700_registry_register_tenant", "name", m_str, &P_TEXT},
    {"np700_registry_record_violation", "note", m_str, &P_OPT_TEXT},
    {"np700_registry_license_block", "first", m_str, &P_NUMBER},
    {"np700_registry_assign_number", "number", m_str, &P_NUMBER},
    {"np700_registry_assign_number", "tags[0]", m_tag_item, &P_TAG},
    {"np700_registry_reclaim_number", "number", m_str, &P_NUMBER},
    {"np700_registry_bind", "a", m_bind_a, &P_NUMBER},
    {"np700_registry_bind", "b", m_bind_b, &P_NUMBER},
    {"np700_registry_bind", "x.given", m_bind_x, &P_OPT_NUMBER},
    {"np700_registry_bind", "x.tag", m_bind_x_tag, &P_OPT_TAG},
    {"np700_registry_bind", "x.sticky_for", m_bind_x_sticky, &P_OPT_NUMBER},
    {"np700_registry_bind", "y.given (AXYB)", m_bind_y, &P_OPT_NUMBER},
    {"np700_registry_bind", "group[1] (GXB)", m_bind_group_item, &P_NUMBER},
    {"np700_registry_bind", "policy.allowed_callers[1] (AXN)", m_bind_allowed_item, &P_NUMBER},
    {"np700_registry_bind", "order_id", m_bind_order, &P_OPT_TEXT},
    {"np700_registry_bind", "consent_ref", m_bind_consent, &P_TEXT},
    {"np700_registry_bind", "external_ref", m_bind_external, &P_OPT_TEXT},
    {"np700_registry_update", "number (B)", m_upd_number, &P_NUMBER},
    {"np700_registry_update", "group[1]", m_upd_group_item, &P_NUMBER},
    {"np700_route", "caller", m_str, &P_CALLER},
    {"np700_route", "dialed", m_dialed, &P_DIALED},
    {"np700_reader_attach", "path", m_str, &P_PATH_ATTACH},
    {"np700_reader_route", "caller", m_str, &P_CALLER},
    {"np700_reader_route", "dialed", m_dialed, &P_DIALED},
    {"np700_registry_import", "json", m_str, &P_JSON},
    {"np700_registry_migrate_legacy", "jsonl", m_str, &P_JSONL},
    {"np700_registry_migrate_legacy", "options.table[0].legacy", m_table_legacy, &P_NUMBER},
    {"np700_registry_migrate_legacy", "options.table[0].target", m_table_target, &P_OPT_NUMBER},
    {"np700_registry_migrate_legacy", "options.tag", m_legacy_tag, &P_OPT_TAG},
    {"np700_registry_block_caller", "caller", m_str, &P_NUMBER},
    {"np700_registry_block_caller", "callee", m_strs0, &P_OPT_NUMBER},
    {"np700_registry_block_caller", "note", m_str1, &P_OPT_TEXT},
    {"np700_registry_block_binding", "note", m_str, &P_OPT_TEXT},
    {"np700_registry_report_real_user", "subscriber", m_str, &P_NUMBER},
    {"np700_config_add_sms_sender_prefix", "prefix", m_str, &P_PREFIX},
    {"np700_config_add_sms_code_keyword", "keyword", m_str, &P_KEYWORD},
    {"np700_route_message", "caller", m_str, &P_CALLER},
    {"np700_route_message", "dialed", m_dialed, &P_DIALED},
    {"np700_route_message", "text", m_str1, &P_SMS_TEXT},
    {"np700_reader_route_message", "caller", m_str, &P_CALLER},
    {"np700_reader_route_message", "dialed", m_dialed, &P_DIALED},
    {"np700_reader_route_message", "text", m_str1, &P_SMS_TEXT},
    /* (the followed journal is empty: the caller and dialled classes are np700_route's) */
    {"np700_follower_route_message", "text", m_str1, &P_SMS_TEXT},
    {"np700_registry_end_call", "caller", m_str, &P_NUMBER},
    {"np700_registry_end_call", "dialed", m_strs0, &P_NUMBER},
    {"np700_registry_history", "usage_number", m_str, &P_NUMBER},
    {"np700_registry_history", "caller", m_strs0, &P_NUMBER},
};
#define N_STR_ROWS (sizeof STR_ROWS / sizeof STR_ROWS[0])

/* ---- the runner ------------------------------------------------------------------------- */

/* What a bad input must not change. */
struct snapshot {
    np700_stats stats;
    np700_tenant_info ta, tb;
    np700_binding_info ba, bb;
    uint64_t generation;
};

static void take(const struct fx *f, struct snapshot *s) {
    memset(s, 0, sizeof *s);
    EXPECT_OK(np700_registry_stats(f->reg, &s->stats));
    EXPECT_OK(np700_registry_tenant(f->reg, f->ta, &s->ta));
    EXPECT_OK(np700_registry_tenant(f->reg, f->tb, &s->tb));
    EXPECT_OK(np700_registry_binding(f->reg, f->ta, f->ba, &s->ba));
    EXPECT_OK(np700_registry_binding(f->reg, f->tb, f->bb, &s->bb));
    if (f->rdr != NULL) {
        EXPECT_OK(np700_reader_generation(f->rdr, &s->generation));
    }
}

static int same_tenant(const np700_tenant_info *a, const np700_tenant_info *b) {
    return a->id == b->id && a->status == b->status && a->pair_cap == b->pair_cap &&
           a->numbers_held == b->numbers_held && a->violations == b->violations &&
           a->registered_at == b->registered_at && strcmp(a->name, b->name) == 0;
}

static int same_binding(const np700_binding_info *a, const np700_binding_info *b) {
    return a->id == b->id && a->tenant == b->tenant && a->mode == b->mode &&
           a->status == b->status && a->record == b->record && a->created_at == b->created_at &&
           a->expires_at == b->expires_at && strcmp(a->x, b->x) == 0 && strcmp(a->y, b->y) == 0;
}

static int same(const struct snapshot *a, const struct snapshot *b) {
    return memcmp(&a->stats, &b->stats, sizeof a->stats) == 0 && same_tenant(&a->ta, &b->ta) &&
           same_tenant(&a->tb, &b->tb) && same_binding(&a->ba, &b->ba) &&
           same_binding(&a->bb, &b->bb) && a->generation == b->generation;
}

static unsigned long cases_total;

static void run_case(struct fx *f, const char *arg, const char *what, mutate_fn mutate,
                     long long param, np700_status expect, np700_reject_reason reject) {
    const struct fn *fn = M.fn;
    struct call *c = (struct call *)calloc(1, sizeof *c);
    union out_buf *out = (union out_buf *)malloc(sizeof *out);
    struct snapshot before, after;
    np700_status got;

    if (c == NULL || out == NULL) {
        CHECK_MSG(0, "out of memory");
        free(c);
        free(out);
        return;
    }
    fn->base(f, c);
    memset(out, SENTINEL, sizeof *out);
    if (fn->out_size != 0) {
        c->out = out;
    }
    mutate(f, c, param);
    memset(&c->needed, SENTINEL, sizeof c->needed);
    memset(c->lines, SENTINEL, sizeof c->lines);
    memset(c->doc, SENTINEL, sizeof c->doc);
    memset(c->recs, SENTINEL, sizeof c->recs);
    take(f, &before);
    got = fn->invoke(c);
    cases_total++;
    CHECK_MSG(got == expect, "%s, %s%s%s: got %d (%s), expected %d (%s); last error: %s", fn->name,
              arg, arg[0] != '\0' ? " " : "", what, (int)got, np700_status_str(got), (int)expect,
              np700_status_str(expect), ct_last_error());
    if (got == expect && expect != NP700_OK) {
        size_t n = strlen(fn->name);
        const char *msg = ct_last_error();
        CHECK_MSG(ct_untouched(out, sizeof *out), "%s, %s %s: output written on an error",
                  fn->name, arg, what);
        CHECK_MSG(ct_untouched(c->doc, sizeof c->doc) && ct_untouched(c->lines, sizeof c->lines) &&
                      ct_untouched(c->recs, sizeof c->recs) &&
                      (got == NP700_ERR_BUFFER_TOO_SMALL ||
                       ct_untouched(&c->needed, sizeof c->needed)),
                  "%s, %s %s: a buffer, size or line written on an error", fn->name, arg, what);
        CHECK_MSG(strncmp(msg, fn->name, n) == 0 && msg[n] == ':',
                  "%s, %s %s: last error \"%s\" does not name the function", fn->name, arg, what,
                  msg);
    }
    if (got == NP700_OK && reject != 0) {
        /* A bad text that routing answers: a refusal, never a route to anyone. */
        CHECK_MSG(out->decision.kind == NP700_DECISION_REJECT && out->decision.reject == reject &&
                      out->decision.sip_status == np700_reject_reason_sip_status(reject),
                  "%s, %s %s: %s (reject %u), expected REJECT %s", fn->name, arg, what,
                  ct_kind_name(out->decision.kind), (unsigned)out->decision.reject,
                  np700_reject_reason_str(reject));
    }
    take(f, &after);
    CHECK_MSG(same(&before, &after), "%s, %s %s: the registry changed", fn->name, arg, what);
    free(c);
    free(out);
}

static void run_function(const struct fn *fn, unsigned long *row_uses, unsigned long *str_uses) {
    struct fx f;
    unsigned long start = cases_total;

    M.fn = fn;
    M.spare = NULL;
    if (!fx_init(&f, fn->shared)) {
        return;
    }
    if (fn->setup != NULL) {
        fn->setup(&f);
    }
    /* Generated: handles, outputs, times. */
    if (fn->handle != H_NONE) {
        for (int v = 0; v < HV_COUNT; v++) {
            np700_status expect = v == HV_NULL ? (fn->frees ? NP700_OK : NP700_ERR_NULL)
                                               : NP700_ERR_INVALID_HANDLE;
            run_case(&f, "", HV_NAME[v], m_handle, v, expect, 0);
        }
    }
    if (fn->out_size != 0) {
        run_case(&f, "out", "NULL", m_out, 0, NP700_ERR_NULL, 0);
        run_case(&f, "out", "misaligned", m_out, 1, NP700_ERR_NULL, 0);
    }
    if (fn->has_now) {
        run_case(&f, "now", "NP700_TIME_MAX + 1", m_now, TOO_LATE, NP700_ERR_OUT_OF_RANGE, 0);
        run_case(&f, "now", "UINT64_MAX", m_now, ALL_ONES, NP700_ERR_OUT_OF_RANGE, 0);
    }
    /* String arguments over every class. */
    for (size_t i = 0; i < N_STR_ROWS; i++) {
        const struct str_row *r = &STR_ROWS[i];
        if (strcmp(r->fn, fn->name) != 0) {
            continue;
        }
        str_uses[i]++;
        for (int cls = 0; cls < S_COUNT; cls++) {
            if (r->p->status[cls] != NA) {
                run_case(&f, r->arg, CLASS_NAME[cls], r->set, cls, r->p->status[cls],
                         r->p->reject[cls]);
            }
        }
    }
    /* Function-specific. */
    for (size_t i = 0; i < N_ROWS; i++) {
        const struct row *r = &ROWS[i];
        if (strcmp(r->fn, fn->name) == 0) {
            row_uses[i]++;
            run_case(&f, "", r->what, r->mutate, r->param, r->expect, r->reject);
        }
    }
    /* The unchanged base call is valid: every case above had exactly one bad argument. */
    {
        struct call *c = (struct call *)calloc(1, sizeof *c);
        union out_buf *out = (union out_buf *)malloc(sizeof *out);
        if (c != NULL && out != NULL) {
            fn->base(&f, c);
            memset(out, SENTINEL, sizeof *out);
            memset(c->recs, SENTINEL, sizeof c->recs);
            if (fn->out_size != 0) {
                c->out = out;
            }
            {
                np700_status st = fn->invoke(c);
                CHECK_MSG(st == NP700_OK, "%s: the base call failed: %s (%s)", fn->name,
                          np700_status_str(st), ct_last_error());
                if (st == NP700_OK && fn->out_size != 0) {
                    CHECK_MSG(!ct_untouched(out, fn->out_size), "%s: base call wrote nothing",
                              fn->name);
                }
                if (st == NP700_OK && fn->after_ok != NULL) {
                    fn->after_ok(c);
                }
            }
        }
        free(c);
        free(out);
    }
    /* The fixture's own handles survived every case (fx_free checks the rest). */
    EXPECT_OK(np700_config_set_capacity(f.cfg, 256));
    if (M.spare != NULL) {
        /* Normally freed by the base call already. */
        if (fn->handle == H_CONFIG) {
            np700_config_free((np700_config *)M.spare);
        } else if (fn->handle == H_REGISTRY) {
            np700_registry_free((np700_registry *)M.spare);
        } else {
            np700_reader_free((np700_reader *)M.spare);
        }
    }
    fx_free(&f);
    printf("  %-38s %4lu cases\n", fn->name, cases_total - start);
}

/* Functions without a status: out-of-set codes get the documented fallback. */
static void run_infallible(void) {
    static const np700_status statuses[] = {1, -1, -100, -110, -200, -999, INT32_MIN, INT32_MAX};
    static const uint32_t reasons[] = {0, 20, 100, UINT32_MAX};
    static const uint32_t announces[] = {0, 3, UINT32_MAX};
    unsigned long start = cases_total;
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++, cases_total++) {
        CHECK_STR(np700_status_str(statuses[i]), "unknown status");
    }
    printf("  %-38s %4lu cases\n", "np700_status_str", cases_total - start);
    start = cases_total;
    for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++, cases_total++) {
        CHECK_STR(np700_reject_reason_str(reasons[i]), "unknown");
    }
    printf("  %-38s %4lu cases\n", "np700_reject_reason_str", cases_total - start);
    start = cases_total;
    for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++, cases_total++) {
        CHECK_U64(np700_reject_reason_sip_status(reasons[i]), 0);
    }
    printf("  %-38s %4lu cases\n", "np700_reject_reason_sip_status", cases_total - start);
    start = cases_total;
    for (size_t i = 0; i < sizeof announces / sizeof announces[0]; i++, cases_total++) {
        CHECK_STR(np700_announce_reason_str(announces[i]), "unknown");
    }
    printf("  %-38s %4lu cases\n", "np700_announce_reason_str", cases_total - start);
    printf("  %-38s %4d cases (no arguments)\n", "np700_version", 0);
    printf("  %-38s %4d cases (no arguments)\n", "np700_version_number", 0);
    printf("  %-38s %4d cases (no arguments)\n", "np700_policy_default", 0);
}

/* np700_last_error: small buffers and bad pointers; the message itself never changes. */
static void run_last_error(void) {
    char buf[512];
    char message[512];
    size_t needed, size = 0;
    unsigned long start = cases_total;
    np700_tenant_info info;
    size_t *misaligned = MISALIGNED(size_t, buf);

    np700_registry_tenant(FORGED(np700_registry, 1), 1, &info);
    EXPECT_OK(np700_last_error(message, sizeof message, &size));
    CHECK(size > 1);

    /* (NULL, 0): the size only. */
    needed = 0;
    EXPECT_STATUS(np700_last_error(NULL, 0, &needed), NP700_ERR_BUFFER_TOO_SMALL);
    CHECK_U64(needed, size);
    cases_total++;
    /* A buffer of 0, 1 and size - 1 bytes: untouched, `needed` told. */
    for (size_t len = 0; len < 3; len++) {
        size_t give = len == 2 ? size - 1 : len;
        memset(buf, SENTINEL, sizeof buf);
        needed = 0;
        EXPECT_STATUS(np700_last_error(buf, give, &needed), NP700_ERR_BUFFER_TOO_SMALL);
        CHECK(ct_untouched(buf, sizeof buf));
        CHECK_U64(needed, size);
        cases_total++;
    }
    /* Without `needed`. */
    memset(buf, SENTINEL, sizeof buf);
    EXPECT_STATUS(np700_last_error(buf, size - 1, NULL), NP700_ERR_BUFFER_TOO_SMALL);
    CHECK(ct_untouched(buf, sizeof buf));
    cases_total++;
    /* NULL with a length; a misaligned `needed`: nothing written at all. */
    FILL(needed);
    EXPECT_STATUS(np700_last_error(NULL, 16, &needed), NP700_ERR_NULL);
    CHECK_UNTOUCHED(needed);
    cases_total++;
    memset(buf, SENTINEL, sizeof buf);
    EXPECT_STATUS(np700_last_error(buf + 16, sizeof buf - 16, misaligned), NP700_ERR_NULL);
    CHECK(ct_untouched(buf, sizeof buf));
    cases_total++;
    /* None of that changed the message. */
    EXPECT_OK(np700_last_error(buf, sizeof buf, NULL));
    CHECK_STR(buf, message);
    printf("  %-38s %4lu cases\n", "np700_last_error", cases_total - start);
}

static void make_stale_handles(void) {
    struct fx f;
    np700_config *c = NULL;
    np700_registry *r = NULL;
    np700_reader *d = NULL;
    char path[128];

    if (!fx_init(&f, 1)) {
        return;
    }
    for (int twice = 0; twice < 2; twice++) {
        EXPECT_OK(np700_config_new(&c));
        EXPECT_OK(np700_registry_new(f.cfg, &r));
        EXPECT_OK(np700_reader_attach(f.path, strlen(f.path), &d));
        EXPECT_OK(np700_config_free(c));
        EXPECT_OK(np700_registry_free(r));
        EXPECT_OK(np700_reader_free(d));
        if (twice) {
            EXPECT_STATUS(np700_config_free(c), NP700_ERR_INVALID_HANDLE);
            EXPECT_STATUS(np700_registry_free(r), NP700_ERR_INVALID_HANDLE);
            EXPECT_STATUS(np700_reader_free(d), NP700_ERR_INVALID_HANDLE);
        }
        (twice ? M.twice : M.stale)[H_CONFIG] = c;
        (twice ? M.twice : M.stale)[H_REGISTRY] = r;
        (twice ? M.twice : M.stale)[H_READER] = d;
    }
    fx_free(&f);
    /* Later fixtures reuse these slots (the table takes the first free one): the cases then
     * check the generation, not just an empty slot. */
    snprintf(path, sizeof path, "/nonexistent-np700-dir/%ld", (long)getpid());
    for (int i = 0; i < 2; i++) {
        EXPECT_OK(np700_config_new(&M.bad_path[i]));
    }
    EXPECT_OK(np700_config_set_shared_path(M.bad_path[0], path, strlen(path)));
    EXPECT_OK(np700_config_set_shared_path(M.bad_path[1], STR("np700\0ctest")));
    EXPECT_OK(np700_config_new(&M.full_limits));
    for (int i = 0; i < NP700_MAX_RATE_LIMITS; i++) {
        EXPECT_OK(np700_config_add_rate_limit(M.full_limits, NP700_LIMIT_SUBJECT_CALLER,
                                              NP700_MEDIA_ALL, 60, 1));
    }
    EXPECT_OK(np700_config_new(&M.full_sms));
    EXPECT_OK(np700_config_clear_sms_rules(M.full_sms));
    for (int i = 0; i < NP700_MAX_SMS_PREFIXES; i++) {
        char p[8];
        snprintf(p, sizeof p, "9%d", 10 + i);
        EXPECT_OK(np700_config_add_sms_sender_prefix(M.full_sms, p, strlen(p)));
    }
    for (int i = 0; i < NP700_MAX_SMS_KEYWORDS; i++) {
        char k[16];
        snprintf(k, sizeof k, "kw%d", i);
        EXPECT_OK(np700_config_add_sms_code_keyword(M.full_sms, k, strlen(k)));
    }
    ct_temp_path(journal_dir, sizeof journal_dir, "matrix-journal");
    ct_remove_dir(journal_dir);
    /* The journal followers follow (a registry made it), and their stale handles. */
    {
        np700_registry *j = NULL;
        np700_follower *w = NULL;
        if (fx_init(&f, 0)) {
            EXPECT_OK(np700_registry_open(f.cfg, journal_dir, strlen(journal_dir), &j, NULL));
            EXPECT_OK(np700_registry_free(j));
            for (int twice = 0; twice < 2; twice++) {
                EXPECT_OK(np700_follower_open(f.cfg, journal_dir, strlen(journal_dir), &w));
                EXPECT_OK(np700_follower_free(w));
                if (twice) {
                    EXPECT_STATUS(np700_follower_free(w), NP700_ERR_INVALID_HANDLE);
                }
                (twice ? M.twice : M.stale)[H_FOLLOWER] = w;
            }
            fx_free(&f);
        }
    }
}

void run_matrix(void) {
    unsigned long row_uses[N_ROWS], str_uses[N_STR_ROWS];
    printf("== bad-input matrix\n");
    big = (char *)malloc(BIG_LEN);
    if (big == NULL) {
        CHECK_MSG(0, "out of memory");
        return;
    }
    memset(big, '7', BIG_LEN);
    /* Never read: refused for their length. */
    H.big_map = (np700_tenant_mapping *)calloc(NP700_MAX_TABLE_LEN + 1, sizeof *H.big_map);
    H.big_table = (np700_legacy_mapping *)calloc(NP700_MAX_TABLE_LEN + 1, sizeof *H.big_table);
    if (H.big_map == NULL || H.big_table == NULL) {
        CHECK_MSG(0, "out of memory");
        return;
    }
    memset(row_uses, 0, sizeof row_uses);
    memset(str_uses, 0, sizeof str_uses);
    for (int i = 0; i < LIST_ROOM; i++) {
        snprintf(M.numbers[i], sizeof M.numbers[i], "1860000%04d", i);
    }
    make_stale_handles();
    run_infallible();
    run_last_error();
    for (size_t i = 0; i < N_FNS; i++) {
        run_function(&FNS[i], row_uses, str_uses);
    }
    /* Every row belongs to a function of the table (no typo silently drops a case). */
    for (size_t i = 0; i < N_ROWS; i++) {
        CHECK_MSG(row_uses[i] == 1, "row \"%s\" of %s ran %lu times", ROWS[i].what, ROWS[i].fn,
                  row_uses[i]);
    }
    for (size_t i = 0; i < N_STR_ROWS; i++) {
        CHECK_MSG(str_uses[i] == 1, "string row %s of %s ran %lu times", STR_ROWS[i].arg,
                  STR_ROWS[i].fn, str_uses[i]);
    }
    EXPECT_OK(np700_config_free(M.bad_path[0]));
    EXPECT_OK(np700_config_free(M.bad_path[1]));
    EXPECT_OK(np700_config_free(M.full_limits));
    EXPECT_OK(np700_config_free(M.full_sms));
    ct_remove_dir(journal_dir);
    free(big);
    big = NULL;
    free(H.big_map);
    free(H.big_table);
    printf("bad-input matrix: %lu cases over %d functions\n", cases_total,
           (int)N_FNS + 4 + 1 + 3);
}
