/*
 * Functional tests: every exported function doing what np700.h says, from C.
 */
#include "harness.h"

#include <limits.h>
#include <pthread.h>
#include <unistd.h>

static int starts_with(const char *s, const char *prefix) {
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Binds at T0. */
static np700_status bind0(const struct fx *f, const np700_bind_request *r, np700_binding_info *out) {
    return np700_registry_bind(f->reg, r, T0, out);
}

static np700_stats stats_of(const np700_registry *reg) {
    np700_stats s;
    memset(&s, 0, sizeof s);
    EXPECT_OK(np700_registry_stats(reg, &s));
    return s;
}

static np700_tenant_info tenant_of(const np700_registry *reg, uint32_t tenant) {
    np700_tenant_info t;
    memset(&t, 0, sizeof t);
    EXPECT_OK(np700_registry_tenant(reg, tenant, &t));
    return t;
}

#define CHECK_ROUTE(d, target, shown, tenant_id)                                               \
    do {                                                                                       \
        CHECK_MSG((d).kind == NP700_DECISION_ROUTE, "expected ROUTE, got %s (reject %u)",      \
                  ct_kind_name((d).kind), (unsigned)(d).reject);                               \
        CHECK_U64((d).target_count, 1);                                                        \
        CHECK_STR((d).targets[0], target);                                                     \
        CHECK_STR((d).display, shown);                                                         \
        CHECK_U64((d).tenant, tenant_id);                                                      \
    } while (0)

#define CHECK_REJECT(d, reason, sip)                                                           \
    do {                                                                                       \
        CHECK_MSG((d).kind == NP700_DECISION_REJECT && (d).reject == (reason),                 \
                  "expected REJECT %s, got %s (reject %u: %s)", #reason, ct_kind_name((d).kind), \
                  (unsigned)(d).reject, np700_reject_reason_str((d).reject));                  \
        CHECK_U64((d).sip_status, sip);                                                        \
    } while (0)

#define CHECK_ANNOUNCE(d, reason)                                                              \
    CHECK_MSG((d).kind == NP700_DECISION_ANNOUNCE && (d).announce == (reason),                 \
              "expected ANNOUNCE %s, got %s (announce %u, reject %u)", #reason,                \
              ct_kind_name((d).kind), (unsigned)(d).announce, (unsigned)(d).reject)

/* ---- versions, statuses, messages ------------------------------------------------------ */

CT_STATIC_ASSERT(NP700_VERSION_NUMBER == NP700_VERSION_MAJOR * 1000000 +
                                             NP700_VERSION_MINOR * 1000 + NP700_VERSION_PATCH,
                 "composite version macro");
CT_STATIC_ASSERT(NP700_TIME_MAX == UINT64_C(4294967294), "NP700_TIME_MAX");
CT_STATIC_ASSERT(NP700_NUMBER_LEN >= 17 && NP700_MAX_TARGETS == 8, "decision sizes");

static void test_version(void) {
    char want[64];
    snprintf(want, sizeof want, "%d.%d.%d", NP700_VERSION_MAJOR, NP700_VERSION_MINOR,
             NP700_VERSION_PATCH);
    CHECK_STR(np700_version(), want);
    CHECK(np700_version() == np700_version()); /* static, not allocated per call */
    CHECK_U64(np700_version_number(), NP700_VERSION_NUMBER);
    CHECK_U64(np700_version_number(), (uint32_t)(NP700_VERSION_MAJOR * 1000000 +
                                                 NP700_VERSION_MINOR * 1000 + NP700_VERSION_PATCH));
}

struct named_status {
    np700_status code;
    const char *name;
};
#define S(x) {x, #x}
static const struct named_status ALL_STATUSES[] = {
    S(NP700_OK),
    S(NP700_ERR_NULL),
    S(NP700_ERR_INVALID_HANDLE),
    S(NP700_ERR_INVALID_UTF8),
    S(NP700_ERR_TOO_LONG),
    S(NP700_ERR_BAD_NUMBER),
    S(NP700_ERR_BAD_TAG),
    S(NP700_ERR_BAD_ENUM),
    S(NP700_ERR_OUT_OF_RANGE),
    S(NP700_ERR_BUFFER_TOO_SMALL),
    S(NP700_ERR_UNKNOWN_TENANT),
    S(NP700_ERR_TENANT_NOT_ACTIVE),
    S(NP700_ERR_TENANT_STATUS_UNCHANGED),
    S(NP700_ERR_INVALID_FIELD),
    S(NP700_ERR_UNKNOWN_BINDING),
    S(NP700_ERR_BINDING_ENDED),
    S(NP700_ERR_CROSS_TENANT),
    S(NP700_ERR_STATUS_UNCHANGED),
    S(NP700_ERR_INVALID_PARTIES),
    S(NP700_ERR_EXPIRY_NOT_IN_FUTURE),
    S(NP700_ERR_INVALID_POLICY),
    S(NP700_ERR_UPDATE_NOT_APPLICABLE),
    S(NP700_ERR_EMPTY_UPDATE),
    S(NP700_ERR_NUMBER_IN_USE),
    S(NP700_ERR_INVALID_BLOCK),
    S(NP700_ERR_BLOCK_OVERLAPS),
    S(NP700_ERR_NOT_LICENSED),
    S(NP700_ERR_HELD_BY_ANOTHER_TENANT),
    S(NP700_ERR_ALREADY_ASSIGNED),
    S(NP700_ERR_NUMBER_IN_QUARANTINE),
    S(NP700_ERR_NOT_HELD),
    S(NP700_ERR_PARTY_ALREADY_BOUND),
    S(NP700_ERR_HELD_EXCLUSIVELY),
    S(NP700_ERR_NOT_FREE),
    S(NP700_ERR_AT_CAPACITY),
    S(NP700_ERR_QUARANTINED),
    S(NP700_ERR_NO_NUMBERS),
    S(NP700_ERR_TAG_UNMATCHED),
    S(NP700_ERR_ALL_CANDIDATES_CONFLICT),
    S(NP700_ERR_ALL_CANDIDATES_QUARANTINED),
    S(NP700_ERR_HANDOVER_UNREADABLE),
    S(NP700_ERR_NOT_A_HANDOVER),
    S(NP700_ERR_HANDOVER_VERSION),
    S(NP700_ERR_HANDOVER_INCONSISTENT),
    S(NP700_ERR_MAPPING_FROM_UNKNOWN),
    S(NP700_ERR_MAPPING_TO_UNKNOWN),
    S(NP700_ERR_MAPPING_NOT_ONE_TO_ONE),
    S(NP700_ERR_TENANT_STATUS_DIFFERS),
    S(NP700_ERR_ENTRY_IN_USE),
    S(NP700_ERR_BINDING_ID_TAKEN),
    S(NP700_ERR_BINDING_IDS_EXHAUSTED),
    S(NP700_ERR_UNKNOWN_BLOCK_RULE),
    S(NP700_ERR_BLOCK_RULE_NOT_OWNED),
    S(NP700_ERR_INVALID_BLOCK_REQUEST),
    S(NP700_ERR_TOO_MANY_BLOCK_RULES),
    S(NP700_ERR_INDEX_FULL),
    S(NP700_ERR_IO),
    S(NP700_ERR_NOT_AN_INDEX),
    S(NP700_ERR_INCOMPATIBLE_INDEX),
    S(NP700_ERR_TRUNCATED_INDEX),
    S(NP700_ERR_TOO_MANY_HANDLES),
    S(NP700_ERR_CORRUPT_JOURNAL),
    S(NP700_ERR_JOURNAL_HALTED),
    S(NP700_ERR_PANIC),
    S(NP700_ERR_INTERNAL),
};
#undef S
#define N_STATUSES (sizeof ALL_STATUSES / sizeof ALL_STATUSES[0])

static void test_status_str(void) {
    static const np700_status unknown[] = {1,    -1,   -100,      -110,     -200,
                                           -299, -999, INT32_MIN, INT32_MAX};
    for (size_t i = 0; i < N_STATUSES; i++) {
        const struct named_status *s = &ALL_STATUSES[i];
        const char *text = np700_status_str(s->code);
        size_t n = strlen(s->name);
        /* "NAME: description" */
        CHECK_MSG(text != NULL && strncmp(text, s->name, n) == 0 && text[n] == ':' &&
                      strlen(text) > n + 2,
                  "np700_status_str(%d) is \"%s\"", (int)s->code, text == NULL ? "(null)" : text);
        /* Stable groups: -1xx, -2xx, -3xx, -9xx. */
        CHECK_MSG(s->code == NP700_OK || (s->code <= -101 && s->code >= -109) ||
                      (s->code <= -201 && s->code >= -299) ||
                      (s->code <= -301 && s->code >= -399) || (s->code <= -901 && s->code >= -999),
                  "%s = %d outside its group", s->name, (int)s->code);
        for (size_t j = 0; j < i; j++) {
            CHECK_MSG(ALL_STATUSES[j].code != s->code, "%s and %s share %d", ALL_STATUSES[j].name,
                      s->name, (int)s->code);
        }
    }
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        CHECK_STR(np700_status_str(unknown[i]), "unknown status");
    }
    /* The list is complete: every code the library names is in it. */
    for (np700_status code = -999; code <= 0; code++) {
        int listed = 0;
        for (size_t i = 0; i < N_STATUSES; i++) {
            listed |= ALL_STATUSES[i].code == code;
        }
        CHECK_MSG(listed || strcmp(np700_status_str(code), "unknown status") == 0,
                  "status %d (%s) is missing from ALL_STATUSES", (int)code,
                  np700_status_str(code));
    }
}

struct error_thread {
    np700_status status;
    size_t needed_before;
    char message[512];
};

static void *error_in_thread(void *arg) {
    struct error_thread *t = (struct error_thread *)arg;
    size_t needed = 0;
    char buf[8];
    np700_tenant_info info;
    /* A new thread starts with an empty message. */
    t->status = np700_last_error(buf, sizeof buf, &needed);
    t->needed_before = needed;
    /* Its own failure is its own message. */
    np700_registry_tenant(FORGED(np700_registry, 1), 1, &info);
    snprintf(t->message, sizeof t->message, "%s", ct_last_error());
    return NULL;
}

static void test_last_error(void) {
    struct fx f;
    np700_tenant_info info;
    char buf[512], small[512];
    size_t needed = 0, size = 0;
    struct error_thread t;
    pthread_t th;

    if (!fx_init(&f, 0)) {
        return;
    }
    EXPECT_STATUS(np700_registry_tenant(f.reg, 999, &info), NP700_ERR_UNKNOWN_TENANT);
    /* Size query with (NULL, 0): BUFFER_TOO_SMALL and the size including the NUL. */
    EXPECT_STATUS(np700_last_error(NULL, 0, &size), NP700_ERR_BUFFER_TOO_SMALL);
    EXPECT_OK(np700_last_error(buf, sizeof buf, &needed));
    CHECK_U64(needed, size);
    CHECK_U64(strlen(buf) + 1, size);
    CHECK_MSG(starts_with(buf, "np700_registry_tenant: "), "message \"%s\"", buf);
    CHECK_MSG(strstr(buf, "999") != NULL, "message names the tenant: \"%s\"", buf);
    /* Exactly enough room. */
    memset(small, SENTINEL, sizeof small);
    EXPECT_OK(np700_last_error(small, size, NULL));
    CHECK_STR(small, buf);
    /* One byte short: nothing written but `needed`. */
    memset(small, SENTINEL, sizeof small);
    needed = 0;
    EXPECT_STATUS(np700_last_error(small, size - 1, &needed), NP700_ERR_BUFFER_TOO_SMALL);
    CHECK(ct_untouched(small, sizeof small));
    CHECK_U64(needed, size);
    /* Failing calls of np700_last_error and successful calls elsewhere keep the message. */
    EXPECT_STATUS(np700_last_error(NULL, 4, NULL), NP700_ERR_NULL);
    EXPECT_OK(np700_registry_tenant(f.reg, f.ta, &info));
    CHECK_STR(ct_last_error(), buf);
    /* The next failure replaces it. */
    EXPECT_STATUS(np700_registry_suspend(f.reg, f.ta, 999, T0), NP700_ERR_UNKNOWN_BINDING);
    CHECK_MSG(starts_with(ct_last_error(), "np700_registry_suspend: "), "message \"%s\"",
              ct_last_error());
    /* Messages are per thread. */
    memset(&t, 0, sizeof t);
    CHECK(pthread_create(&th, NULL, error_in_thread, &t) == 0);
    CHECK(pthread_join(th, NULL) == 0);
    EXPECT_OK(t.status);
    CHECK_U64(t.needed_before, 1);
    CHECK_MSG(starts_with(t.message, "np700_registry_tenant: "), "thread message \"%s\"",
              t.message);
    CHECK_MSG(starts_with(ct_last_error(), "np700_registry_suspend: "), "message \"%s\"",
              ct_last_error());
    fx_free(&f);
}

/* ---- configurations -------------------------------------------------------------------- */

static void test_config(void) {
    np700_config *cfg = NULL, *sentinel_cfg;
    np700_registry *reg = NULL;
    np700_tenant_info info;
    uint32_t t1 = 0, t2 = 0;
    char path[128];

    EXPECT_OK(np700_config_new(&cfg));
    CHECK(cfg != NULL);
    /* Ranges, both ends. */
    EXPECT_OK(np700_config_set_binding_quarantine(cfg, 0));
    EXPECT_OK(np700_config_set_binding_quarantine(cfg, NP700_MAX_QUARANTINE_SECS));
    EXPECT_STATUS(np700_config_set_binding_quarantine(cfg, NP700_MAX_QUARANTINE_SECS + 1),
                  NP700_ERR_OUT_OF_RANGE);
    EXPECT_OK(np700_config_set_number_quarantine(cfg, 0));
    EXPECT_OK(np700_config_set_number_quarantine(cfg, NP700_MAX_QUARANTINE_SECS));
    EXPECT_STATUS(np700_config_set_number_quarantine(cfg, UINT64_MAX), NP700_ERR_OUT_OF_RANGE);
    EXPECT_OK(np700_config_set_default_pair_cap(cfg, 65535));
    EXPECT_OK(np700_config_set_default_pair_cap(cfg, 1));
    EXPECT_STATUS(np700_config_set_default_pair_cap(cfg, 0), NP700_ERR_OUT_OF_RANGE);
    EXPECT_OK(np700_config_set_capacity(cfg, NP700_MAX_CAPACITY));
    EXPECT_STATUS(np700_config_set_capacity(cfg, (size_t)NP700_MAX_CAPACITY + 1),
                  NP700_ERR_OUT_OF_RANGE);
    EXPECT_OK(np700_config_set_capacity(cfg, 0)); /* the index grows as needed */
    ct_temp_path(path, sizeof path, "config");
    EXPECT_OK(np700_config_set_shared_path(cfg, path, strlen(path)));
    EXPECT_OK(np700_config_set_shared_path(cfg, NULL, 0)); /* back to private memory */
    EXPECT_OK(np700_config_set_number_quarantine(cfg, 0));

    /* The registry copies the configuration: later changes and the free do not reach it. */
    EXPECT_OK(np700_registry_new(cfg, &reg));
    CHECK(access(path, F_OK) != 0); /* the shared path was reset */
    EXPECT_OK(np700_config_set_default_pair_cap(cfg, 9));
    EXPECT_OK(np700_config_free(cfg));
    EXPECT_OK(np700_registry_register_tenant(reg, STR("One"), NULL, 0, 0, T0, &t1));
    info = tenant_of(reg, t1);
    CHECK_U64(info.pair_cap, 1); /* the default pair cap as set before registry_new */
    EXPECT_OK(np700_registry_register_tenant(reg, STR("Two"), NULL, 0, 0, T0, &t2));
    EXPECT_OK(np700_registry_license_block(reg, STR("70010000000"), 2, T0));
    EXPECT_OK(np700_registry_assign_number(reg, t1, STR("70010000000"), NULL, 0, T0));
    {
        /* Pair cap 1: a second binding on the same X is refused. */
        np700_bind_request r = fx_axb(t1, "13800000001", "700100000000001", "13900000001");
        np700_binding_info b;
        EXPECT_OK(np700_registry_bind(reg, &r, T0, &b));
        r = fx_axb(t1, "13800000002", "700100000000001", "13900000002");
        EXPECT_STATUS(np700_registry_bind(reg, &r, T0, &b), NP700_ERR_AT_CAPACITY);
        /* Number quarantine 0: after the binding ends, another tenant may take it at once. */
        EXPECT_OK(np700_registry_unbind(reg, t1, 1, T0 + 1));
        EXPECT_OK(np700_registry_reclaim_number(reg, t1, STR("70010000000"), T0 + 1));
        EXPECT_OK(np700_registry_assign_number(reg, t2, STR("70010000000"), NULL, 0, T0 + 1));
    }
    EXPECT_OK(np700_registry_free(reg));

    /* Freed: stale from now on, and NULL is a no-op. */
    EXPECT_STATUS(np700_config_free(cfg), NP700_ERR_INVALID_HANDLE);
    EXPECT_STATUS(np700_config_set_capacity(cfg, 10), NP700_ERR_INVALID_HANDLE);
    EXPECT_OK(np700_config_free(NULL));

    /* NP700_MAX_HANDLES live configurations, then NP700_ERR_TOO_MANY_HANDLES. */
    {
        static np700_config *all[NP700_MAX_HANDLES + 1];
        size_t n = 0;
        np700_status st = NP700_OK;
        while (n <= NP700_MAX_HANDLES) {
            st = np700_config_new(&all[n]);
            if (st != NP700_OK) {
                break;
            }
            n++;
        }
        CHECK_U64(n, NP700_MAX_HANDLES);
        EXPECT_STATUS(st, NP700_ERR_TOO_MANY_HANDLES);
        FILL(sentinel_cfg);
        EXPECT_STATUS(np700_config_new(&sentinel_cfg), NP700_ERR_TOO_MANY_HANDLES);
        CHECK_UNTOUCHED(sentinel_cfg);
        /* A free makes room again; every handle is distinct. */
        EXPECT_OK(np700_config_free(all[0]));
        EXPECT_OK(np700_config_new(&all[0]));
        for (size_t i = 1; i < n; i++) {
            CHECK_MSG(all[i] != all[i - 1], "handles %zu and %zu are equal", i - 1, i);
        }
        for (size_t i = 0; i < n; i++) {
            EXPECT_OK(np700_config_free(all[i]));
        }
    }
}

/* ---- registries ------------------------------------------------------------------------ */

static void test_registry_lifecycle(void) {
    np700_config *cfg = NULL;
    np700_registry *reg = NULL, *untouched;
    np700_stats st;
    char path[128];

    EXPECT_OK(np700_config_new(&cfg));
    EXPECT_OK(np700_config_set_capacity(cfg, 0));
    EXPECT_OK(np700_registry_new(cfg, &reg));
    st = stats_of(reg);
    CHECK_U64(st.tenants, 0);
    CHECK_U64(st.bindings, 0);
    CHECK(st.index_entries > 0 && st.index_bytes > 0);
    EXPECT_OK(np700_registry_free(reg));
    EXPECT_STATUS(np700_registry_free(reg), NP700_ERR_INVALID_HANDLE);
    EXPECT_STATUS(np700_registry_stats(reg, &st), NP700_ERR_INVALID_HANDLE);
    EXPECT_OK(np700_registry_free(NULL));

    /* A shared path that cannot be created: NP700_ERR_IO, nothing written. */
    EXPECT_OK(np700_config_set_shared_path(cfg, STR("/nonexistent-np700-dir/index")));
    FILL(untouched);
    EXPECT_STATUS(np700_registry_new(cfg, &untouched), NP700_ERR_IO);
    CHECK_UNTOUCHED(untouched);
    CHECK(strstr(ct_last_error(), "/nonexistent-np700-dir") != NULL ||
          strstr(ct_last_error(), "No such file") != NULL);

    /* A shared path that can: the file exists while and after the registry lives. */
    ct_temp_path(path, sizeof path, "lifecycle");
    EXPECT_OK(np700_config_set_shared_path(cfg, path, strlen(path)));
    EXPECT_OK(np700_registry_new(cfg, &reg));
    CHECK(access(path, F_OK) == 0);
    EXPECT_OK(np700_registry_free(reg));
    CHECK(access(path, F_OK) == 0);
    ct_remove_shared(path);
    EXPECT_OK(np700_config_free(cfg));
}

static void test_tenants(void) {
    struct fx f;
    np700_tenant_info info;
    np700_stats before;
    np700_scenario all[] = {1, 2, 3, 4, 5, 6, 7, 8, 8, 1};
    np700_bind_request r;
    np700_binding_info b;
    np700_decision d;
    uint32_t t = 0;
    char name128[129];
    char note256[257];
    const char *utf8 = "\xe9\xa1\xba\xe4\xb8\xb0 Express \xe2\x9c\x93"; /* 顺丰 Express ✓ */

    if (!fx_init(&f, 0)) {
        return;
    }
    /* Ids in order from 1; a fixture made 1 and 2. */
    CHECK_U64(f.ta, 1);
    CHECK_U64(f.tb, 2);
    info = tenant_of(f.reg, f.ta);
    CHECK_U64(info.id, f.ta);
    CHECK_U64(info.status, NP700_TENANT_ACTIVE);
    CHECK_U64(info.pair_cap, 200); /* the configuration's default */
    CHECK_U64(info.numbers_held, 2);
    CHECK_U64(info.violations, 0);
    CHECK_U64(info.registered_at, T0);
    CHECK_STR(info.name, "Swift Parcel");

    /* Every scenario, duplicates ignored; an explicit pair cap; a UTF-8 name round-trips. */
    EXPECT_OK(np700_registry_register_tenant(f.reg, utf8, strlen(utf8), all, 10, 7, T0 + 5, &t));
    CHECK_U64(t, 3);
    info = tenant_of(f.reg, t);
    CHECK_STR(info.name, utf8);
    CHECK_U64(info.pair_cap, 7);
    CHECK_U64(info.registered_at, T0 + 5);
    /* A name of exactly 128 bytes fits its buffer. */
    memset(name128, 'n', 128);
    name128[128] = '\0';
    EXPECT_OK(np700_registry_register_tenant(f.reg, name128, 128, NULL, 0, 0, T0, &t));
    info = tenant_of(f.reg, t);
    CHECK_STR(info.name, name128);
    EXPECT_STATUS(np700_registry_register_tenant(f.reg, STR("Dup"), all, 1, 0, NP700_TIME_MAX, &t),
                  NP700_OK);

    /* Suspension refuses new bindings and the tenant's calls at once; reactivation restores. */
    before = stats_of(f.reg);
    EXPECT_OK(np700_registry_set_tenant_status(f.reg, f.ta, NP700_TENANT_SUSPENDED, T0 + 10));
    CHECK_U64(tenant_of(f.reg, f.ta).status, NP700_TENANT_SUSPENDED);
    CHECK_U64(stats_of(f.reg).active_tenants, before.active_tenants - 1);
    d = ct_route(f.reg, FX_A_CUSTOMER, FX_A_X, NP700_MEDIA_VOICE, T0 + 11);
    CHECK_REJECT(d, NP700_REJECT_TENANT_SUSPENDED, 503);
    r = fx_axb(f.ta, "13800000002", FX_A_X, "13900000002");
    EXPECT_STATUS(np700_registry_bind(f.reg, &r, T0 + 11, &b), NP700_ERR_TENANT_NOT_ACTIVE);
    EXPECT_STATUS(np700_registry_set_tenant_status(f.reg, f.ta, NP700_TENANT_SUSPENDED, T0 + 12),
                  NP700_ERR_TENANT_STATUS_UNCHANGED);
    /* The other tenant is not affected. */
    d = ct_route(f.reg, FX_B_CUSTOMER, FX_B_X, NP700_MEDIA_VOICE, T0 + 11);
    CHECK_ROUTE(d, "+86" FX_B_PARTY, FX_B_X, f.tb);
    EXPECT_OK(np700_registry_set_tenant_status(f.reg, f.ta, NP700_TENANT_ACTIVE, T0 + 13));
    d = ct_route(f.reg, FX_A_CUSTOMER, FX_A_X, NP700_MEDIA_VOICE, T0 + 14);
    CHECK_ROUTE(d, "+86" FX_A_PARTY, FX_A_X, f.ta);
    /* Exited: existing bindings keep routing, new ones are refused. */
    EXPECT_OK(np700_registry_set_tenant_status(f.reg, f.tb, NP700_TENANT_EXITED, T0 + 15));
    d = ct_route(f.reg, FX_B_CUSTOMER, FX_B_X, NP700_MEDIA_VOICE, T0 + 16);
    CHECK_ROUTE(d, "+86" FX_B_PARTY, FX_B_X, f.tb);
    r = fx_axb(f.tb, "13700000002", FX_B_X, "13600000002");
    EXPECT_STATUS(np700_registry_bind(f.reg, &r, T0 + 16, &b), NP700_ERR_TENANT_NOT_ACTIVE);

    /* The credit record: every kind, empty and 256-byte notes. */
    memset(note256, 'x', 256);
    note256[256] = '\0';
    EXPECT_OK(np700_registry_record_violation(f.reg, f.ta, NP700_VIOLATION_MARKETING, NULL, 0, T0));
    EXPECT_OK(
        np700_registry_record_violation(f.reg, f.ta, NP700_VIOLATION_FRAUD, note256, 256, T0));
    EXPECT_OK(np700_registry_record_violation(f.reg, f.ta, NP700_VIOLATION_APP_REGISTRATION,
                                              STR("app sign-ups"), T0));
    EXPECT_OK(np700_registry_record_violation(f.reg, f.ta, NP700_VIOLATION_MISSING_CONSENT,
                                              utf8, strlen(utf8), T0));
    EXPECT_OK(np700_registry_record_violation(f.reg, f.tb, NP700_VIOLATION_OTHER, STR("x"), T0));
    CHECK_U64(tenant_of(f.reg, f.ta).violations, 4);
    CHECK_U64(tenant_of(f.reg, f.tb).violations, 1);
    EXPECT_STATUS(np700_registry_record_violation(f.reg, 77, NP700_VIOLATION_OTHER, NULL, 0, T0),
                  NP700_ERR_UNKNOWN_TENANT);
    fx_free(&f);
}

static void test_numbers(void) {
    struct fx f;
    np700_stats st;
    np700_decision d;
    np700_bind_request r;
    np700_binding_info b;
    size_t expired = 0;
    np700_str tags[3];

    if (!fx_init(&f, 0)) {
        return;
    }
    st = stats_of(f.reg);
    CHECK_U64(st.licensed_blocks, 1);
    CHECK_U64(st.licensed_numbers, 10);
    CHECK_U64(st.assigned_numbers, 3);

    /* Blocks: any dial form, up to 100,000 numbers, inside the segment, no overlaps. */
    EXPECT_OK(np700_registry_license_block(f.reg, STR("+86 700-2000-0000"), 10000, T0));
    EXPECT_OK(np700_registry_license_block(f.reg, STR("70099999999"), 1, T0));
    EXPECT_STATUS(np700_registry_license_block(f.reg, STR("70020000005"), 1, T0),
                  NP700_ERR_BLOCK_OVERLAPS);
    EXPECT_STATUS(np700_registry_license_block(f.reg, STR("70030000000"), 0, T0),
                  NP700_ERR_INVALID_BLOCK);
    EXPECT_STATUS(np700_registry_license_block(f.reg, STR("70030000000"), 100001, T0),
                  NP700_ERR_INVALID_BLOCK);
    EXPECT_STATUS(np700_registry_license_block(f.reg, STR("70099999998"), 3, T0),
                  NP700_ERR_INVALID_BLOCK);
    st = stats_of(f.reg);
    CHECK_U64(st.licensed_blocks, 3);
    CHECK_U64(st.licensed_numbers, 10011);

    /* Assignment: tags, one tenant at a time, only licensed numbers. */
    tags[0] = ct_str("shanghai");
    tags[1] = ct_str("\xe5\xa4\x96\xe5\x8d\x96"); /* 外卖 */
    tags[2] = ct_str("010");
    EXPECT_OK(np700_registry_assign_number(f.reg, f.tb, STR("700 2000 0001"), tags, 3, T0));
    CHECK_U64(tenant_of(f.reg, f.tb).numbers_held, 2);
    EXPECT_STATUS(np700_registry_assign_number(f.reg, f.tb, STR("70090000000"), NULL, 0, T0),
                  NP700_ERR_NOT_LICENSED);
    EXPECT_STATUS(np700_registry_assign_number(f.reg, f.tb, STR("70020000001"), NULL, 0, T0),
                  NP700_ERR_ALREADY_ASSIGNED);
    EXPECT_STATUS(np700_registry_assign_number(f.reg, f.tb, STR("70010000001"), NULL, 0, T0),
                  NP700_ERR_HELD_BY_ANOTHER_TENANT);
    EXPECT_STATUS(np700_registry_assign_number(f.reg, 99, STR("70010000003"), NULL, 0, T0),
                  NP700_ERR_UNKNOWN_TENANT);

    /* Routing by the state of numbers. */
    d = ct_route(f.reg, FX_A_CUSTOMER, "700100000030001", NP700_MEDIA_VOICE, T0);
    CHECK_REJECT(d, NP700_REJECT_UNASSIGNED, 404);
    d = ct_route(f.reg, FX_A_CUSTOMER, "700900000000001", NP700_MEDIA_VOICE, T0);
    CHECK_REJECT(d, NP700_REJECT_NOT_OURS, 404);
    d = ct_route(f.reg, FX_A_CUSTOMER, "700100000020001", NP700_MEDIA_VOICE, T0);
    CHECK_REJECT(d, NP700_REJECT_NO_BINDING, 404);

    /* Reclaim: not while bindings live, only by the holder, then quarantine. */
    EXPECT_STATUS(np700_registry_reclaim_number(f.reg, f.ta, STR("70010000001"), T0),
                  NP700_ERR_NUMBER_IN_USE);
    EXPECT_STATUS(np700_registry_reclaim_number(f.reg, f.tb, STR("70010000002"), T0),
                  NP700_ERR_NOT_HELD);
    EXPECT_STATUS(np700_registry_reclaim_number(f.reg, f.ta, STR("70010000003"), T0),
                  NP700_ERR_NOT_HELD);
    EXPECT_OK(np700_registry_reclaim_number(f.reg, f.ta, STR("70010000002"), T0 + 100));
    st = stats_of(f.reg);
    CHECK_U64(st.quarantined_numbers, 1);
    CHECK_U64(st.assigned_numbers, 3);
    CHECK_U64(tenant_of(f.reg, f.ta).numbers_held, 1);
    EXPECT_STATUS(np700_registry_assign_number(f.reg, f.tb, STR("70010000002"), NULL, 0, T0 + 200),
                  NP700_ERR_NUMBER_IN_QUARANTINE);
    /* Its usage numbers are the tenant's no more. */
    r = fx_axb(f.ta, "13800000005", "700100000020001", "13900000005");
    EXPECT_STATUS(np700_registry_bind(f.reg, &r, T0 + 200, &b), NP700_ERR_NOT_HELD);
    /* Once the quarantine is over (and swept), another tenant may have it. */
    EXPECT_OK(np700_registry_sweep(f.reg, T0 + 100 + FX_NUMBER_QUARANTINE + 1, &expired));
    EXPECT_OK(np700_registry_assign_number(f.reg, f.tb, STR("70010000002"), NULL, 0,
                                           T0 + 100 + FX_NUMBER_QUARANTINE + 1));
    CHECK_U64(tenant_of(f.reg, f.tb).numbers_held, 3);
    fx_free(&f);
}

/* A registry holds at most 32,768 licensed management numbers in all (its routing index's
 * directory): past that a block is refused with NP700_ERR_INDEX_FULL and changes nothing, and so
 * is any single block over 32,768 numbers although a block may hold up to 100,000. */
static void test_licensed_limit(void) {
    struct fx f;
    np700_registry *reg = NULL;
    np700_stats before, after;
    np700_decision d;

    if (!fx_init(&f, 0)) {
        return;
    }
    EXPECT_OK(np700_registry_license_block(f.reg, STR("70020000000"), 32768 - 10, T0));
    before = stats_of(f.reg);
    CHECK_U64(before.licensed_numbers, 32768);
    EXPECT_STATUS(np700_registry_license_block(f.reg, STR("70030000000"), 1, T0),
                  NP700_ERR_INDEX_FULL);
    CHECK_MSG(starts_with(ct_last_error(), "np700_registry_license_block: "), "message \"%s\"",
              ct_last_error());
    after = stats_of(f.reg);
    CHECK(memcmp(&before, &after, sizeof before) == 0);
    /* Everything licensed before still works. */
    EXPECT_OK(np700_registry_assign_number(f.reg, f.tb, STR("70020032757"), NULL, 0, T0));
    d = ct_route(f.reg, FX_A_CUSTOMER, FX_A_X, NP700_MEDIA_VOICE, T0 + 1);
    CHECK_ROUTE(d, "+86" FX_A_PARTY, FX_A_X, f.ta);
    d = ct_route(f.reg, FX_A_CUSTOMER, "700300000000001", NP700_MEDIA_VOICE, T0 + 1);
    CHECK_REJECT(d, NP700_REJECT_NOT_OURS, 404);

    /* One block of 100,000 (the most a block may hold) in an empty registry. */
    EXPECT_OK(np700_registry_new(f.cfg, &reg));
    EXPECT_STATUS(np700_registry_license_block(reg, STR("70020000000"), 100000, T0),
                  NP700_ERR_INDEX_FULL);
    CHECK_U64(stats_of(reg).licensed_numbers, 0);
    EXPECT_OK(np700_registry_license_block(reg, STR("70020000000"), 10, T0));
    CHECK_U64(stats_of(reg).licensed_numbers, 10);
    EXPECT_OK(np700_registry_free(reg));
    fx_free(&f);
}

/* ---- bindings -------------------------------------------------------------------------- */

static void test_policy_default(void) {
    np700_policy p = np700_policy_default();
    CHECK_U64(p.media, NP700_MEDIA_VOICE | NP700_MEDIA_SMS);
    CHECK_U64(p.direction, NP700_DIRECTION_BOTH);
    CHECK_U64(p.record, 0);
    CHECK_U64(p.has_window, 0);
    CHECK_U64(p.window_start_minute, 0);
    CHECK_U64(p.window_end_minute, 0);
    CHECK(p.allowed_callers == NULL);
    CHECK_U64(p.allowed_callers_len, 0);
}

static void test_bind_axb(void) {
    struct fx f;
    np700_binding_info b;
    np700_decision d;
    np700_bind_request r;

    if (!fx_init(&f, 0)) {
        return;
    }
    /* The fixture's binding as stored. */
    EXPECT_OK(np700_registry_binding(f.reg, f.ta, f.ba, &b));
    CHECK_U64(b.id, 1);
    CHECK_U64(f.bb, 2);
    CHECK_U64(b.tenant, f.ta);
    CHECK_U64(b.mode, NP700_MODE_AXB);
    CHECK_U64(b.status, NP700_BINDING_ACTIVE);
    CHECK(!b.record);
    CHECK_U64(b.created_at, T0);
    CHECK_U64(b.expires_at, T0 + 86400);
    CHECK_STR(b.x, FX_A_X);
    CHECK_STR(b.y, "");

    /* Both ways, in every dial form; fields that do not apply are zero. */
    d = ct_route(f.reg, FX_A_CUSTOMER, FX_A_X, NP700_MEDIA_VOICE, T0 + 1);
    CHECK_ROUTE(d, "+86" FX_A_PARTY, FX_A_X, f.ta);
    CHECK_U64(d.mode, NP700_MODE_AXB);
    CHECK_U64(d.binding_id, f.ba);
    CHECK(!d.record);
    CHECK_U64(d.digits_needed, 0);
    CHECK_U64(d.sip_status, 0);
    CHECK_U64(d.reject, 0);
    CHECK_U64(d.announce, 0);
    CHECK_STR(d.targets[1], "");
    CHECK_STR(d.targets[7], "");
    d = ct_route(f.reg, "+86 138-0000-0001", "+86 700 1000 0001 0001", NP700_MEDIA_SMS, T0 + 1);
    CHECK_ROUTE(d, "+86" FX_A_CUSTOMER, FX_A_X, f.ta);
    d = ct_route(f.reg, "008613900000001", "0086700100000010001", NP700_MEDIA_VOICE, T0 + 1);
    CHECK_ROUTE(d, "+86" FX_A_PARTY, FX_A_X, f.ta);
    d = ct_route(f.reg, "tel:+8613900000001", "86-700-1000-0001-0001", NP700_MEDIA_VOICE, T0 + 1);
    CHECK_ROUTE(d, "+86" FX_A_PARTY, FX_A_X, f.ta);
    /* A stranger, an unidentified caller, a partial number. */
    d = ct_route(f.reg, "18600000009", FX_A_X, NP700_MEDIA_VOICE, T0 + 1);
    CHECK_REJECT(d, NP700_REJECT_CALLER_NOT_PERMITTED, 403);
    d = ct_route(f.reg, "", FX_A_X, NP700_MEDIA_VOICE, T0 + 1);
    CHECK_REJECT(d, NP700_REJECT_CALLER_UNIDENTIFIED, 403);
    d = ct_route(f.reg, "anonymous", FX_A_X, NP700_MEDIA_VOICE, T0 + 1);
    CHECK_REJECT(d, NP700_REJECT_CALLER_UNIDENTIFIED, 403);
    d = ct_route(f.reg, FX_A_CUSTOMER, "70010000001", NP700_MEDIA_VOICE, T0 + 1);
    CHECK_U64(d.kind, NP700_DECISION_COLLECT_DIGITS);
    CHECK_U64(d.digits_needed, 4);
    d = ct_route(f.reg, FX_A_CUSTOMER, "7001000000100", NP700_MEDIA_VOICE, T0 + 1);
    CHECK_U64(d.kind, NP700_DECISION_COLLECT_DIGITS);
    CHECK_U64(d.digits_needed, 2);
    d = ct_route(f.reg, FX_A_CUSTOMER, "13912345678", NP700_MEDIA_VOICE, T0 + 1);
    CHECK_REJECT(d, NP700_REJECT_NOT_OURS, 404);
    d = ct_route(f.reg, FX_A_CUSTOMER, "hello", NP700_MEDIA_VOICE, T0 + 1);
    CHECK_REJECT(d, NP700_REJECT_MALFORMED_NUMBER, 484);
    /* No cross-tenant answer: tenant A's customer dialling tenant B's X is refused. */
    d = ct_route(f.reg, FX_A_CUSTOMER, FX_B_X, NP700_MEDIA_VOICE, T0 + 1);
    CHECK_REJECT(d, NP700_REJECT_CALLER_NOT_PERMITTED, 403);

    /* Expiry: at most NP700_TIME_MAX, or NP700_TIME_NEVER; an expired binding never routes. */
    r = fx_axb(f.ta, "13800000002", FX_A_X, "13900000002");
    r.expires_at = NP700_TIME_NEVER;
    EXPECT_OK(bind0(&f, &r, &b));
    CHECK_U64(b.expires_at, NP700_TIME_NEVER);
    r = fx_axb(f.ta, "13800000003", FX_A_X, "13900000003");
    r.expires_at = NP700_TIME_MAX;
    EXPECT_OK(bind0(&f, &r, &b));
    CHECK_U64(b.expires_at, NP700_TIME_MAX);
    r = fx_axb(f.ta, "13800000004", FX_A_X, "13900000004");
    r.expires_at = T0 + 100;
    EXPECT_OK(bind0(&f, &r, &b));
    d = ct_route(f.reg, "13900000004", FX_A_X, NP700_MEDIA_VOICE, T0 + 99);
    CHECK_ROUTE(d, "+8613800000004", FX_A_X, f.ta);
    d = ct_route(f.reg, "13900000004", FX_A_X, NP700_MEDIA_VOICE, T0 + 100);
    CHECK_MSG(d.kind != NP700_DECISION_ROUTE, "an expired binding routed");
    d = ct_route(f.reg, "13900000002", FX_A_X, NP700_MEDIA_VOICE, NP700_TIME_MAX);
    CHECK_ROUTE(d, "+8613800000002", FX_A_X, f.ta);

    /* The rules' refusals, one status each. */
    r = fx_axb(f.ta, "13800000009", FX_A_X, "13900000009");
    r.expires_at = T0;
    EXPECT_STATUS(bind0(&f, &r, &b), NP700_ERR_EXPIRY_NOT_IN_FUTURE);
    r = fx_axb(f.ta, "13800000009", FX_A_X, "13900000009");
    r.consent_ref = ct_str(NULL);
    EXPECT_STATUS(bind0(&f, &r, &b), NP700_ERR_INVALID_FIELD);
    r = fx_axb(f.ta, "13800000009", FX_A_X, "+8613800000009");
    EXPECT_STATUS(bind0(&f, &r, &b), NP700_ERR_INVALID_PARTIES);
    r = fx_axb(f.ta, FX_A_PARTY, FX_A_X, "13900000009");
    EXPECT_STATUS(bind0(&f, &r, &b), NP700_ERR_PARTY_ALREADY_BOUND);
    r = fx_axb(f.ta, "13800000009", FX_B_X, "13900000009"); /* tenant B's number */
    EXPECT_STATUS(bind0(&f, &r, &b), NP700_ERR_NOT_HELD);
    r = fx_axb(99, "13800000009", FX_A_X, "13900000009");
    EXPECT_STATUS(bind0(&f, &r, &b), NP700_ERR_UNKNOWN_TENANT);
    r = fx_axb(f.ta, "13800000009", FX_A_X, "13900000009");
    r.mode = NP700_MODE_AXN;
    EXPECT_STATUS(bind0(&f, &r, &b), NP700_ERR_NOT_FREE);
    r = fx_axb(f.ta, "13800000009", NULL, "13900000009");
    r.x.tag = ct_str("shanghai");
    r.x.tag_strict = 1;
    EXPECT_STATUS(bind0(&f, &r, &b), NP700_ERR_TAG_UNMATCHED);
    fx_free(&f);
}

static void test_bind_axn(void) {
    struct fx f;
    np700_binding_info b, b2;
    np700_decision d;
    np700_bind_request r;
    np700_str allowed[2];

    if (!fx_init(&f, 0)) {
        return;
    }
    /* Automatic, strictly among "beijing" numbers (only 70010000001), recorded. */
    r = fx_axb(f.ta, "13700000009", NULL, "13700000008");
    r.mode = NP700_MODE_AXN;
    r.x.tag = ct_str("beijing");
    r.x.tag_strict = 1;
    r.policy.record = 1;
    EXPECT_OK(bind0(&f, &r, &b));
    CHECK_U64(b.mode, NP700_MODE_AXN);
    CHECK(b.record);
    CHECK_MSG(strlen(b.x) == 15 && starts_with(b.x, "70010000001") && strcmp(b.x, FX_A_X) != 0,
              "AXN picked %s", b.x);
    d = ct_route(f.reg, "18600000009", b.x, NP700_MEDIA_VOICE, T0 + 1);
    CHECK_ROUTE(d, "+8613700000009", b.x, f.ta);
    CHECK(d.record);
    CHECK_U64(d.mode, NP700_MODE_AXN);
    d = ct_route(f.reg, "13700000009", b.x, NP700_MEDIA_VOICE, T0 + 1);
    CHECK_ROUTE(d, "+8613700000008", b.x, f.ta);
    /* Exclusive: nothing else on its X. */
    r = fx_axb(f.ta, "13800000009", b.x, "13900000009");
    EXPECT_STATUS(bind0(&f, &r, &b2), NP700_ERR_HELD_EXCLUSIVELY);

    /* Without N, A's own calls are refused; with an allow-list, only those callers (and A). */
    allowed[0] = ct_str("18600000001");
    allowed[1] = ct_str("+86 186 0000 0002");
    r = fx_axb(f.ta, "13700000007", NULL, NULL);
    r.mode = NP700_MODE_AXN;
    r.policy.allowed_callers = allowed;
    r.policy.allowed_callers_len = 2;
    EXPECT_OK(bind0(&f, &r, &b2));
    d = ct_route(f.reg, "13700000007", b2.x, NP700_MEDIA_VOICE, T0 + 1);
    CHECK_REJECT(d, NP700_REJECT_NO_DESTINATION, 480);
    d = ct_route(f.reg, "18600000002", b2.x, NP700_MEDIA_VOICE, T0 + 1);
    CHECK_ROUTE(d, "+8613700000007", b2.x, f.ta);
    d = ct_route(f.reg, "18600000003", b2.x, NP700_MEDIA_VOICE, T0 + 1);
    CHECK_REJECT(d, NP700_REJECT_CALLER_NOT_PERMITTED, 403);
    /* An allow-list outside AXN is an invalid policy. */
    r = fx_axb(f.ta, "13800000009", FX_A_X, "13900000009");
    r.policy.allowed_callers = allowed;
    r.policy.allowed_callers_len = 1;
    EXPECT_STATUS(bind0(&f, &r, &b2), NP700_ERR_INVALID_POLICY);
    fx_free(&f);
}

static void test_bind_axyb_gxb(void) {
    struct fx f;
    np700_binding_info b;
    np700_decision d;
    np700_bind_request r;
    np700_str group[3];
    np700_str nine[9];

    if (!fx_init(&f, 0)) {
        return;
    }
    /* AXYB: B dials X and reaches A shown Y; A dials Y and reaches B shown X. */
    r = fx_axb(f.ta, "13600000001", NULL, "13900000005");
    r.mode = NP700_MODE_AXYB;
    EXPECT_OK(bind0(&f, &r, &b));
    CHECK_U64(b.mode, NP700_MODE_AXYB);
    CHECK_MSG(strlen(b.x) == 15 && strlen(b.y) == 15 && strcmp(b.x, b.y) != 0, "x %s y %s", b.x,
              b.y);
    d = ct_route(f.reg, "13900000005", b.x, NP700_MEDIA_VOICE, T0 + 1);
    CHECK_ROUTE(d, "+8613600000001", b.y, f.ta);
    d = ct_route(f.reg, "13600000001", b.y, NP700_MEDIA_VOICE, T0 + 1);
    CHECK_ROUTE(d, "+8613900000005", b.x, f.ta);
    /* X = Y is not a binding. */
    r.a = ct_str("13600000002");
    r.b = ct_str("13900000006");
    r.x.given = ct_str("700100000020007");
    r.y.given = ct_str("700100000020007");
    EXPECT_STATUS(bind0(&f, &r, &b), NP700_ERR_INVALID_PARTIES);

    /* GXB: B's calls ring the group in order; members reach B; voice only. */
    group[0] = ct_str("13500000001");
    group[1] = ct_str("13500000002");
    group[2] = ct_str("13500000003");
    r = fx_axb(f.ta, NULL, NULL, "13900000003");
    r.mode = NP700_MODE_GXB;
    r.group = group;
    r.group_len = 3;
    r.policy.media = NP700_MEDIA_VOICE;
    EXPECT_OK(bind0(&f, &r, &b));
    CHECK_U64(b.mode, NP700_MODE_GXB);
    d = ct_route(f.reg, "13900000003", b.x, NP700_MEDIA_VOICE, T0 + 1);
    CHECK_U64(d.kind, NP700_DECISION_ROUTE);
    CHECK_U64(d.target_count, 3);
    CHECK_STR(d.targets[0], "+8613500000001");
    CHECK_STR(d.targets[1], "+8613500000002");
    CHECK_STR(d.targets[2], "+8613500000003");
    CHECK_STR(d.targets[3], "");
    CHECK_U64(d.mode, NP700_MODE_GXB);
    d = ct_route(f.reg, "13500000002", b.x, NP700_MEDIA_VOICE, T0 + 1);
    CHECK_ROUTE(d, "+8613900000003", b.x, f.ta);
    d = ct_route(f.reg, "13500000002", b.x, NP700_MEDIA_SMS, T0 + 1);
    CHECK_REJECT(d, NP700_REJECT_MEDIA_NOT_PERMITTED, 488);
    /* A in GXB, a group outside GXB, more than 8 members: invalid parties. */
    r.a = ct_str("13800000009");
    EXPECT_STATUS(bind0(&f, &r, &b), NP700_ERR_INVALID_PARTIES);
    r = fx_axb(f.ta, "13800000009", FX_A_X, "13900000009");
    r.group = group;
    r.group_len = 1;
    EXPECT_STATUS(bind0(&f, &r, &b), NP700_ERR_INVALID_PARTIES);
    for (int i = 0; i < 9; i++) {
        static const char *members[9] = {"13400000001", "13400000002", "13400000003",
                                         "13400000004", "13400000005", "13400000006",
                                         "13400000007", "13400000008", "13400000009"};
        nine[i] = ct_str(members[i]);
    }
    r = fx_axb(f.ta, NULL, NULL, "13900000008");
    r.mode = NP700_MODE_GXB;
    r.group = nine;
    r.group_len = 9;
    EXPECT_STATUS(bind0(&f, &r, &b), NP700_ERR_INVALID_PARTIES);
    r.group_len = 8;
    EXPECT_OK(bind0(&f, &r, &b));
    d = ct_route(f.reg, "13900000008", b.x, NP700_MEDIA_VOICE, T0 + 1);
    CHECK_U64(d.target_count, 8);
    CHECK_STR(d.targets[7], "+8613400000008");
    fx_free(&f);
}

static void test_policies(void) {
    struct fx f;
    np700_binding_info b;
    np700_decision d;
    np700_bind_request r;

    if (!fx_init(&f, 0)) {
        return;
    }
    /* Direction A -> B only: B's calls are barred. */
    r = fx_axb(f.ta, "13800000002", FX_A_X, "13900000002");
    r.policy.direction = NP700_DIRECTION_A_TO_B_ONLY;
    EXPECT_OK(bind0(&f, &r, &b));
    d = ct_route(f.reg, "13800000002", FX_A_X, NP700_MEDIA_VOICE, T0 + 1);
    CHECK_ROUTE(d, "+8613900000002", FX_A_X, f.ta);
    d = ct_route(f.reg, "13900000002", FX_A_X, NP700_MEDIA_VOICE, T0 + 1);
    CHECK_REJECT(d, NP700_REJECT_DIRECTION_BARRED, 403);
    /* SMS only. */
    r = fx_axb(f.ta, "13800000003", FX_A_X, "13900000003");
    r.policy.media = NP700_MEDIA_SMS;
    EXPECT_OK(bind0(&f, &r, &b));
    d = ct_route(f.reg, "13900000003", FX_A_X, NP700_MEDIA_VOICE, T0 + 1);
    CHECK_REJECT(d, NP700_REJECT_MEDIA_NOT_PERMITTED, 488);
    d = ct_route(f.reg, "13900000003", FX_A_X, NP700_MEDIA_SMS, T0 + 1);
    CHECK_ROUTE(d, "+8613800000003", FX_A_X, f.ta);
    /* A window 09:00-17:00 Beijing time (T0 is 08:00). */
    r = fx_axb(f.ta, "13800000004", FX_A_X, "13900000004");
    r.policy.has_window = 1;
    r.policy.window_start_minute = 9 * 60;
    r.policy.window_end_minute = 17 * 60;
    EXPECT_OK(bind0(&f, &r, &b));
    d = ct_route(f.reg, "13900000004", FX_A_X, NP700_MEDIA_VOICE, T0 + 1);
    CHECK_REJECT(d, NP700_REJECT_OUTSIDE_TIME_WINDOW, 480);
    d = ct_route(f.reg, "13900000004", FX_A_X, NP700_MEDIA_VOICE, T0 + 3600);
    CHECK_ROUTE(d, "+8613800000004", FX_A_X, f.ta);
    d = ct_route(f.reg, "13900000004", FX_A_X, NP700_MEDIA_VOICE, T0 + 9 * 3600);
    CHECK_REJECT(d, NP700_REJECT_OUTSIDE_TIME_WINDOW, 480);
    /* A window past midnight, 22:00-06:00. */
    r = fx_axb(f.ta, "13800000005", FX_A_X, "13900000005");
    r.policy.has_window = 1;
    r.policy.window_start_minute = 22 * 60;
    r.policy.window_end_minute = 6 * 60;
    EXPECT_OK(bind0(&f, &r, &b));
    d = ct_route(f.reg, "13900000005", FX_A_X, NP700_MEDIA_VOICE, T0 + 1);
    CHECK_REJECT(d, NP700_REJECT_OUTSIDE_TIME_WINDOW, 480);
    d = ct_route(f.reg, "13900000005", FX_A_X, NP700_MEDIA_VOICE, T0 + 15 * 3600);
    CHECK_ROUTE(d, "+8613800000005", FX_A_X, f.ta);
    /* Invalid policies. */
    r = fx_axb(f.ta, "13800000009", FX_A_X, "13900000009");
    r.policy.media = 0;
    EXPECT_STATUS(bind0(&f, &r, &b), NP700_ERR_INVALID_POLICY);
    r.policy = np700_policy_default();
    r.policy.has_window = 1;
    r.policy.window_start_minute = 600;
    r.policy.window_end_minute = 600;
    EXPECT_STATUS(bind0(&f, &r, &b), NP700_ERR_INVALID_POLICY);
    r.policy.window_end_minute = 1441;
    EXPECT_STATUS(bind0(&f, &r, &b), NP700_ERR_INVALID_POLICY);
    fx_free(&f);
}

static void test_selection(void) {
    struct fx f;
    np700_binding_info b;
    np700_bind_request r;
    np700_decision d;
    uint32_t empty = 0;

    if (!fx_init(&f, 0)) {
        return;
    }
    /* A tenant without numbers cannot bind automatically. */
    EXPECT_OK(np700_registry_register_tenant(f.reg, STR("Empty"), NULL, 0, 0, T0, &empty));
    r = fx_axb(empty, "13800000009", NULL, "13900000009");
    EXPECT_STATUS(bind0(&f, &r, &b), NP700_ERR_NO_NUMBERS);
    /* Automatic numbers are the tenant's own. */
    r = fx_axb(f.tb, "13800000009", NULL, "13900000009");
    EXPECT_OK(bind0(&f, &r, &b));
    CHECK_MSG(starts_with(b.x, "70010000005"), "tenant B got %s", b.x);
    /* Quarantine: after the fixture binding ends, its X is held back for its customer with
     * anyone else. */
    EXPECT_OK(np700_registry_unbind(f.reg, f.ta, f.ba, T0 + 1));
    r = fx_axb(f.ta, "13800000006", FX_A_X, FX_A_CUSTOMER);
    EXPECT_STATUS(bind0(&f, &r, &b), NP700_ERR_QUARANTINED);
    /* The same courier and customer again: without stickiness a fresh number is picked; with
     * it, the X they had (the fresh one is live for them now, so it does not fit). */
    r = fx_axb(f.ta, FX_A_PARTY, NULL, FX_A_CUSTOMER);
    EXPECT_OK(bind0(&f, &r, &b));
    CHECK_MSG(strcmp(b.x, FX_A_X) != 0, "non-sticky selection reused %s", b.x);
    r.x.sticky_for = ct_str(FX_A_CUSTOMER);
    EXPECT_OK(bind0(&f, &r, &b));
    CHECK_STR(b.x, FX_A_X);
    d = ct_route(f.reg, FX_A_CUSTOMER, FX_A_X, NP700_MEDIA_VOICE, T0 + 2);
    CHECK_ROUTE(d, "+86" FX_A_PARTY, FX_A_X, f.ta);
    fx_free(&f);
}

static void test_update(void) {
    struct fx f;
    np700_binding_info b, axn, gxb;
    np700_update_request u;
    np700_bind_request r;
    np700_decision d;
    np700_policy voice = np700_policy_default();
    np700_str group[2];

    if (!fx_init(&f, 0)) {
        return;
    }
    voice.media = NP700_MEDIA_VOICE;
    /* A new B: the new customer routes, the old one hears "service ended". */
    memset(&u, 0, sizeof u);
    u.tenant = f.ta;
    u.binding = f.ba;
    u.counterpart = NP700_COUNTERPART_B;
    u.number = ct_str("13900000042");
    EXPECT_OK(np700_registry_update(f.reg, &u, T0 + 10, &b));
    CHECK_U64(b.id, f.ba);
    CHECK_U64(b.expires_at, T0 + 86400);
    d = ct_route(f.reg, "13900000042", FX_A_X, NP700_MEDIA_VOICE, T0 + 11);
    CHECK_ROUTE(d, "+86" FX_A_PARTY, FX_A_X, f.ta);
    d = ct_route(f.reg, FX_A_CUSTOMER, FX_A_X, NP700_MEDIA_VOICE, T0 + 11);
    CHECK_ANNOUNCE(d, NP700_ANNOUNCE_SERVICE_ENDED);
    /* A new expiry and policy, together. */
    memset(&u, 0, sizeof u);
    u.tenant = f.ta;
    u.binding = f.ba;
    u.expires_at = NP700_TIME_NEVER;
    u.policy = &voice;
    EXPECT_OK(np700_registry_update(f.reg, &u, T0 + 12, &b));
    CHECK_U64(b.expires_at, NP700_TIME_NEVER);
    d = ct_route(f.reg, "13900000042", FX_A_X, NP700_MEDIA_SMS, T0 + 13);
    CHECK_REJECT(d, NP700_REJECT_MEDIA_NOT_PERMITTED, 488);
    /* The rules' refusals. */
    memset(&u, 0, sizeof u);
    u.tenant = f.ta;
    u.binding = f.ba;
    EXPECT_STATUS(np700_registry_update(f.reg, &u, T0 + 14, &b), NP700_ERR_EMPTY_UPDATE);
    u.counterpart = NP700_COUNTERPART_N;
    EXPECT_STATUS(np700_registry_update(f.reg, &u, T0 + 14, &b), NP700_ERR_UPDATE_NOT_APPLICABLE);
    u.counterpart = NP700_COUNTERPART_NONE;
    u.expires_at = T0 + 14;
    EXPECT_STATUS(np700_registry_update(f.reg, &u, T0 + 14, &b), NP700_ERR_EXPIRY_NOT_IN_FUTURE);
    u.expires_at = T0 + 1000;
    u.tenant = f.tb; /* not its binding */
    EXPECT_STATUS(np700_registry_update(f.reg, &u, T0 + 14, &b), NP700_ERR_CROSS_TENANT);
    u.tenant = f.ta;
    u.binding = 999;
    EXPECT_STATUS(np700_registry_update(f.reg, &u, T0 + 14, &b), NP700_ERR_UNKNOWN_BINDING);

    /* AXN: a new N, then none. */
    r = fx_axb(f.ta, "13700000009", NULL, "13700000008");
    r.mode = NP700_MODE_AXN;
    EXPECT_OK(bind0(&f, &r, &axn));
    memset(&u, 0, sizeof u);
    u.tenant = f.ta;
    u.binding = axn.id;
    u.counterpart = NP700_COUNTERPART_N;
    u.number = ct_str("13700000007");
    EXPECT_OK(np700_registry_update(f.reg, &u, T0 + 20, &b));
    d = ct_route(f.reg, "13700000009", axn.x, NP700_MEDIA_VOICE, T0 + 21);
    CHECK_ROUTE(d, "+8613700000007", axn.x, f.ta);
    u.number = ct_str(NULL);
    EXPECT_OK(np700_registry_update(f.reg, &u, T0 + 22, &b));
    d = ct_route(f.reg, "13700000009", axn.x, NP700_MEDIA_VOICE, T0 + 23);
    CHECK_REJECT(d, NP700_REJECT_NO_DESTINATION, 480);

    /* GXB: a new group. */
    group[0] = ct_str("13500000001");
    group[1] = ct_str("13500000002");
    r = fx_axb(f.ta, NULL, NULL, "13900000003");
    r.mode = NP700_MODE_GXB;
    r.group = group;
    r.group_len = 1;
    EXPECT_OK(bind0(&f, &r, &gxb));
    memset(&u, 0, sizeof u);
    u.tenant = f.ta;
    u.binding = gxb.id;
    u.counterpart = NP700_COUNTERPART_GROUP;
    u.group = group;
    u.group_len = 2;
    EXPECT_OK(np700_registry_update(f.reg, &u, T0 + 30, &b));
    d = ct_route(f.reg, "13900000003", gxb.x, NP700_MEDIA_VOICE, T0 + 31);
    CHECK_U64(d.target_count, 2);
    CHECK_STR(d.targets[1], "+8613500000002");
    u.counterpart = NP700_COUNTERPART_N;
    EXPECT_STATUS(np700_registry_update(f.reg, &u, T0 + 32, &b), NP700_ERR_UPDATE_NOT_APPLICABLE);

    /* An ended binding cannot change. */
    EXPECT_OK(np700_registry_unbind(f.reg, f.ta, gxb.id, T0 + 33));
    u.counterpart = NP700_COUNTERPART_GROUP;
    EXPECT_STATUS(np700_registry_update(f.reg, &u, T0 + 34, &b), NP700_ERR_BINDING_ENDED);
    fx_free(&f);
}

static void test_lifecycle(void) {
    struct fx f;
    np700_binding_info b;
    np700_decision d;
    np700_stats st;

    if (!fx_init(&f, 0)) {
        return;
    }
    /* Suspend: refused with its own reason; the status shows; twice is "unchanged". */
    EXPECT_OK(np700_registry_suspend(f.reg, f.ta, f.ba, T0 + 1));
    d = ct_route(f.reg, FX_A_CUSTOMER, FX_A_X, NP700_MEDIA_VOICE, T0 + 2);
    CHECK_REJECT(d, NP700_REJECT_BINDING_SUSPENDED, 480);
    EXPECT_OK(np700_registry_binding(f.reg, f.ta, f.ba, &b));
    CHECK_U64(b.status, NP700_BINDING_SUSPENDED);
    st = stats_of(f.reg);
    CHECK_U64(st.bindings, 2);
    CHECK_U64(st.suspended_bindings, 1);
    EXPECT_STATUS(np700_registry_suspend(f.reg, f.ta, f.ba, T0 + 3), NP700_ERR_STATUS_UNCHANGED);
    /* Another tenant can neither resume nor release it. */
    EXPECT_STATUS(np700_registry_resume(f.reg, f.tb, f.ba, T0 + 3), NP700_ERR_CROSS_TENANT);
    EXPECT_STATUS(np700_registry_unbind(f.reg, f.tb, f.ba, T0 + 3), NP700_ERR_CROSS_TENANT);
    EXPECT_STATUS(np700_registry_suspend(f.reg, f.tb, f.ba, T0 + 3), NP700_ERR_CROSS_TENANT);
    EXPECT_STATUS(np700_registry_binding(f.reg, f.tb, f.ba, &b), NP700_ERR_CROSS_TENANT);
    /* Resume. */
    EXPECT_OK(np700_registry_resume(f.reg, f.ta, f.ba, T0 + 4));
    d = ct_route(f.reg, FX_A_CUSTOMER, FX_A_X, NP700_MEDIA_VOICE, T0 + 5);
    CHECK_ROUTE(d, "+86" FX_A_PARTY, FX_A_X, f.ta);
    EXPECT_STATUS(np700_registry_resume(f.reg, f.ta, f.ba, T0 + 5), NP700_ERR_STATUS_UNCHANGED);
    /* Unbind: the former counterparts hear "service ended"; then it is ended for every call. */
    EXPECT_OK(np700_registry_unbind(f.reg, f.ta, f.ba, T0 + 6));
    d = ct_route(f.reg, FX_A_CUSTOMER, FX_A_X, NP700_MEDIA_VOICE, T0 + 7);
    CHECK_ANNOUNCE(d, NP700_ANNOUNCE_SERVICE_ENDED);
    d = ct_route(f.reg, FX_A_PARTY, FX_A_X, NP700_MEDIA_VOICE, T0 + 7);
    CHECK_ANNOUNCE(d, NP700_ANNOUNCE_SERVICE_ENDED);
    /* After the quarantine, the number has no binding for them. */
    d = ct_route(f.reg, FX_A_CUSTOMER, FX_A_X, NP700_MEDIA_VOICE,
                 T0 + 6 + FX_BINDING_QUARANTINE + 1);
    CHECK_REJECT(d, NP700_REJECT_NO_BINDING, 404);
    EXPECT_STATUS(np700_registry_unbind(f.reg, f.ta, f.ba, T0 + 8), NP700_ERR_BINDING_ENDED);
    EXPECT_STATUS(np700_registry_suspend(f.reg, f.ta, f.ba, T0 + 8), NP700_ERR_BINDING_ENDED);
    EXPECT_STATUS(np700_registry_resume(f.reg, f.ta, f.ba, T0 + 8), NP700_ERR_BINDING_ENDED);
    EXPECT_STATUS(np700_registry_binding(f.reg, f.ta, f.ba, &b), NP700_ERR_BINDING_ENDED);
    EXPECT_STATUS(np700_registry_binding(f.reg, f.ta, 0, &b), NP700_ERR_UNKNOWN_BINDING);
    EXPECT_STATUS(np700_registry_binding(f.reg, f.ta, 3, &b), NP700_ERR_UNKNOWN_BINDING);
    EXPECT_STATUS(np700_registry_suspend(f.reg, f.ta, UINT64_MAX, T0), NP700_ERR_UNKNOWN_BINDING);
    CHECK_U64(stats_of(f.reg).bindings, 1);
    fx_free(&f);
}

static void test_sweep(void) {
    struct fx f;
    np700_binding_info b;
    np700_bind_request r;
    np700_decision d;
    np700_stats st;
    size_t expired = 99;

    if (!fx_init(&f, 0)) {
        return;
    }
    r = fx_axb(f.ta, "13800000002", FX_A_X, "13900000002");
    r.expires_at = T0 + 100;
    EXPECT_OK(bind0(&f, &r, &b));
    EXPECT_OK(np700_registry_sweep(f.reg, T0 + 50, &expired));
    CHECK_U64(expired, 0);
    CHECK_U64(stats_of(f.reg).bindings, 3);
    /* Past its expiry it no longer routes, swept or not. */
    d = ct_route(f.reg, "13900000002", FX_A_X, NP700_MEDIA_VOICE, T0 + 101);
    CHECK_MSG(d.kind != NP700_DECISION_ROUTE, "expired binding routed before the sweep");
    EXPECT_OK(np700_registry_sweep(f.reg, T0 + 101, &expired));
    CHECK_U64(expired, 1);
    st = stats_of(f.reg);
    CHECK_U64(st.bindings, 2);
    d = ct_route(f.reg, "13900000002", FX_A_X, NP700_MEDIA_VOICE, T0 + 102);
    CHECK_ANNOUNCE(d, NP700_ANNOUNCE_EXPIRED);
    EXPECT_STATUS(np700_registry_binding(f.reg, f.ta, b.id, &b), NP700_ERR_BINDING_ENDED);
    /* Later sweeps find nothing more until the fixture's own bindings expire. */
    EXPECT_OK(np700_registry_sweep(f.reg, T0 + 200, &expired));
    CHECK_U64(expired, 0);
    EXPECT_OK(np700_registry_sweep(f.reg, T0 + 86400, &expired));
    CHECK_U64(expired, 2);
    CHECK_U64(stats_of(f.reg).bindings, 0);
    fx_free(&f);
}

static void test_stats(void) {
    struct fx f;
    np700_stats st;

    if (!fx_init(&f, 0)) {
        return;
    }
    st = stats_of(f.reg);
    CHECK_U64(st.tenants, 2);
    CHECK_U64(st.active_tenants, 2);
    CHECK_U64(st.licensed_blocks, 1);
    CHECK_U64(st.licensed_numbers, 10);
    CHECK_U64(st.assigned_numbers, 3);
    CHECK_U64(st.quarantined_numbers, 0);
    CHECK_U64(st.bindings, 2);
    CHECK_U64(st.suspended_bindings, 0);
    CHECK_U64(st.usage_numbers_in_use, 2);
    CHECK(st.index_generation >= 1);
    CHECK(st.index_entries > 0);
    CHECK(st.index_bytes >= st.index_entries * 8);
    fx_free(&f);
}

/* ---- reasons --------------------------------------------------------------------------- */

static void test_reasons(void) {
    static const struct {
        np700_reject_reason reason;
        const char *text;
        uint16_t sip;
    } rejects[] = {
        {NP700_REJECT_MALFORMED_NUMBER, "malformed number", 484},
        {NP700_REJECT_NOT_OURS, "not our number", 404},
        {NP700_REJECT_UNASSIGNED, "number unassigned", 404},
        {NP700_REJECT_NO_BINDING, "no binding", 404},
        {NP700_REJECT_CALLER_NOT_PERMITTED, "caller not permitted", 403},
        {NP700_REJECT_CALLER_UNIDENTIFIED, "caller unidentified", 403},
        {NP700_REJECT_MEDIA_NOT_PERMITTED, "media not permitted", 488},
        {NP700_REJECT_DIRECTION_BARRED, "direction barred", 403},
        {NP700_REJECT_OUTSIDE_TIME_WINDOW, "outside time window", 480},
        {NP700_REJECT_BINDING_SUSPENDED, "binding suspended", 480},
        {NP700_REJECT_TENANT_SUSPENDED, "tenant suspended", 503},
        {NP700_REJECT_NO_DESTINATION, "no destination", 480},
        {NP700_REJECT_UNAVAILABLE, "routing index unavailable", 503},
        {NP700_REJECT_BLOCKED, "blocked", 403},
        {NP700_REJECT_AUTO_BLOCKED, "blocked automatically", 403},
        {NP700_REJECT_RATE_LIMITED, "rate limited", 486},
        {NP700_REJECT_COMMERCIAL_SENDER, "commercial sender", 403},
        {NP700_REJECT_VERIFICATION_CODE, "verification code", 403},
        {NP700_REJECT_USER_NOT_REPORTED, "real user not reported", 403},
    };
    for (size_t i = 0; i < sizeof rejects / sizeof rejects[0]; i++) {
        CHECK_STR(np700_reject_reason_str(rejects[i].reason), rejects[i].text);
        CHECK_U64(np700_reject_reason_sip_status(rejects[i].reason), rejects[i].sip);
    }
    CHECK_STR(np700_announce_reason_str(NP700_ANNOUNCE_SERVICE_ENDED), "service ended");
    CHECK_STR(np700_announce_reason_str(NP700_ANNOUNCE_EXPIRED), "binding expired");
}

/* ---- readers --------------------------------------------------------------------------- */

static int same_decision(const np700_decision *a, const np700_decision *b) {
    if (a->kind != b->kind || a->mode != b->mode || a->binding_id != b->binding_id ||
        a->tenant != b->tenant || a->record != b->record || a->digits_needed != b->digits_needed ||
        a->sip_status != b->sip_status || a->announce != b->announce || a->reject != b->reject ||
        a->target_count != b->target_count || strcmp(a->display, b->display) != 0) {
        return 0;
    }
    for (size_t i = 0; i < NP700_MAX_TARGETS; i++) {
        if (strcmp(a->targets[i], b->targets[i]) != 0) {
            return 0;
        }
    }
    return 1;
}

/* Every query answered the same by the registry and the reader. */
static void check_reader_agrees(const struct fx *f, uint64_t now) {
    static const char *const queries[][2] = {
        {FX_A_CUSTOMER, FX_A_X},  {FX_A_PARTY, FX_A_X},     {FX_B_CUSTOMER, FX_B_X},
        {FX_A_CUSTOMER, FX_B_X},  {"18600000009", FX_A_X},  {"", FX_A_X},
        {FX_A_CUSTOMER, "70010000001"}, {FX_A_CUSTOMER, "700100000030001"},
        {FX_A_CUSTOMER, "13912345678"}, {FX_A_CUSTOMER, "x"},
    };
    for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
        np700_decision from_registry = ct_route(f->reg, queries[i][0], queries[i][1],
                                                NP700_MEDIA_VOICE, now);
        np700_decision from_reader;
        memset(&from_reader, 0, sizeof from_reader);
        EXPECT_OK(np700_reader_route(f->rdr, queries[i][0], strlen(queries[i][0]), queries[i][1],
                                     strlen(queries[i][1]), NP700_MEDIA_VOICE, now, &from_reader));
        CHECK_MSG(same_decision(&from_registry, &from_reader),
                  "%s -> %s: registry %s, reader %s", queries[i][0], queries[i][1],
                  ct_kind_name(from_registry.kind), ct_kind_name(from_reader.kind));
    }
}

static void write_file(const char *path, const void *bytes, size_t len) {
    FILE *out = fopen(path, "wb");
    CHECK(out != NULL);
    if (out != NULL) {
        CHECK(fwrite(bytes, 1, len, out) == len);
        CHECK(fclose(out) == 0);
    }
}

static void test_reader(void) {
    struct fx f;
    np700_reader *r2 = NULL, *untouched;
    np700_decision d;
    np700_stats st;
    np700_binding_info b;
    np700_bind_request req;
    uint64_t generation = 0;
    char path[128];
    uint64_t header[16];
    char garbage[4096];
    char a[16], c[16];
    int grew = 0;

    if (!fx_init(&f, 1)) {
        return;
    }
    check_reader_agrees(&f, T0 + 1);
    EXPECT_OK(np700_reader_generation(f.rdr, &generation));
    st = stats_of(f.reg);
    CHECK_U64(generation, st.index_generation);

    /* Changes are seen at once. */
    EXPECT_OK(np700_registry_suspend(f.reg, f.ta, f.ba, T0 + 2));
    check_reader_agrees(&f, T0 + 3);
    EXPECT_OK(np700_registry_unbind(f.reg, f.ta, f.ba, T0 + 4));
    check_reader_agrees(&f, T0 + 5);

    /* The writer outgrows its index (capacity 256): the reader follows to the new one. */
    for (int i = 0; i < 3000 && !grew; i++) {
        char target[20];
        snprintf(a, sizeof a, "1350%07d", i);
        snprintf(c, sizeof c, "1360%07d", i);
        snprintf(target, sizeof target, "+86%s", a);
        req = fx_axb(f.ta, a, NULL, c);
        EXPECT_OK(bind0(&f, &req, &b));
        if (i % 50 == 0) {
            d = ct_route(f.reg, c, b.x, NP700_MEDIA_VOICE, T0 + 6);
            CHECK_ROUTE(d, target, b.x, f.ta);
            st = stats_of(f.reg);
            grew = st.index_generation > generation;
        }
    }
    CHECK_MSG(grew, "index generation stayed %llu after 3000 bindings",
              (unsigned long long)st.index_generation);
    /* The last binding, made on the new index, seen by the reader. */
    memset(&d, 0, sizeof d);
    EXPECT_OK(np700_reader_route(f.rdr, c, strlen(c), b.x, strlen(b.x), NP700_MEDIA_VOICE, T0 + 7,
                                 &d));
    CHECK_U64(d.kind, NP700_DECISION_ROUTE);
    CHECK_STR(d.targets[0] + 3, a);
    EXPECT_OK(np700_reader_generation(f.rdr, &generation));
    CHECK_U64(generation, st.index_generation);
    check_reader_agrees(&f, T0 + 8);

    /* A second reader; readers outlive the registry (answering frozen). */
    EXPECT_OK(np700_reader_attach(f.path, strlen(f.path), &r2));
    d = ct_route(f.reg, FX_B_CUSTOMER, FX_B_X, NP700_MEDIA_VOICE, T0 + 9);
    EXPECT_OK(np700_registry_free(f.reg));
    f.reg = NULL;
    {
        np700_decision frozen;
        memset(&frozen, 0, sizeof frozen);
        EXPECT_OK(np700_reader_route(r2, STR(FX_B_CUSTOMER), STR(FX_B_X), NP700_MEDIA_VOICE,
                                     T0 + 9, &frozen));
        CHECK(same_decision(&d, &frozen));
        CHECK_ROUTE(frozen, "+86" FX_B_PARTY, FX_B_X, f.tb);
    }
    EXPECT_OK(np700_reader_free(r2));
    EXPECT_STATUS(np700_reader_free(r2), NP700_ERR_INVALID_HANDLE);
    EXPECT_STATUS(np700_reader_generation(r2, &generation), NP700_ERR_INVALID_HANDLE);
    EXPECT_OK(np700_reader_free(NULL));

    /* A new writer at the same path (a restart) replaces the index: readers move over to it,
     * one generation on. */
    {
        np700_config *cfg2 = NULL;
        np700_registry *reg2 = NULL;
        uint64_t moved = 0;
        EXPECT_OK(np700_reader_generation(f.rdr, &generation));
        EXPECT_OK(np700_config_new(&cfg2));
        EXPECT_OK(np700_config_set_shared_path(cfg2, f.path, strlen(f.path)));
        EXPECT_OK(np700_registry_new(cfg2, &reg2));
        EXPECT_OK(np700_config_free(cfg2));
        memset(&d, 0, sizeof d);
        EXPECT_OK(np700_reader_route(f.rdr, STR(FX_B_CUSTOMER), STR(FX_B_X), NP700_MEDIA_VOICE,
                                     T0 + 10, &d));
        CHECK_REJECT(d, NP700_REJECT_NOT_OURS, 404); /* the new writer licensed nothing yet */
        EXPECT_OK(np700_reader_generation(f.rdr, &moved));
        CHECK_U64(moved, generation + 1);
        CHECK_U64(stats_of(reg2).index_generation, moved);
        EXPECT_OK(np700_registry_free(reg2));
    }

    /* What attach refuses, with its documented status and nothing written. */
    ct_temp_path(path, sizeof path, "bad-index");
    FILL(untouched);
    unlink(path);
    EXPECT_STATUS(np700_reader_attach(path, strlen(path), &untouched), NP700_ERR_IO);
    memset(garbage, 'g', sizeof garbage);
    write_file(path, garbage, sizeof garbage);
    EXPECT_STATUS(np700_reader_attach(path, strlen(path), &untouched), NP700_ERR_NOT_AN_INDEX);
    write_file(path, garbage, 0);
    EXPECT_STATUS(np700_reader_attach(path, strlen(path), &untouched), NP700_ERR_NOT_AN_INDEX);
    memset(header, 0, sizeof header);
    memcpy(&header[0], "NP700IDX", 8);
    header[1] = 999; /* layout version */
    write_file(path, header, sizeof header);
    EXPECT_STATUS(np700_reader_attach(path, strlen(path), &untouched),
                  NP700_ERR_INCOMPATIBLE_INDEX);
    header[1] = 2; /* the current layout version (src/index/layout.rs) */
    header[3] = 1u << 20; /* entries the file does not have */
    header[4] = 64;
    write_file(path, header, sizeof header);
    EXPECT_STATUS(np700_reader_attach(path, strlen(path), &untouched), NP700_ERR_TRUNCATED_INDEX);
    CHECK_UNTOUCHED(untouched);
    EXPECT_STATUS(np700_reader_attach(STR("/"), &untouched), NP700_ERR_IO);
    CHECK_UNTOUCHED(untouched);
    unlink(path);
    fx_free(&f);
}

/* A registry freed while it grows its shared index (a successor is being filled at
 * "<path>.new") leaves only the published index file behind. */
static void test_no_staging_file_left(void) {
    np700_config *cfg = NULL;
    np700_registry *reg = NULL;
    np700_bind_request r;
    np700_binding_info b;
    uint32_t tenant = 0;
    char path[128], staging[140];
    int growing = 0;

    ct_temp_path(path, sizeof path, "staging");
    snprintf(staging, sizeof staging, "%s.new", path);
    EXPECT_OK(np700_config_new(&cfg));
    EXPECT_OK(np700_config_set_capacity(cfg, 16));
    EXPECT_OK(np700_config_set_shared_path(cfg, path, strlen(path)));
    EXPECT_OK(np700_registry_new(cfg, &reg));
    EXPECT_OK(np700_config_free(cfg));
    EXPECT_OK(np700_registry_license_block(reg, STR("70010000000"), 1, T0));
    EXPECT_OK(np700_registry_register_tenant(reg, STR("A"), NULL, 0, 0, T0, &tenant));
    EXPECT_OK(np700_registry_assign_number(reg, tenant, STR("70010000000"), NULL, 0, T0));
    for (int i = 0; i < 5000 && !growing; i++) {
        char a[12], c[12], x[16];
        snprintf(a, sizeof a, "1350%07d", i);
        snprintf(c, sizeof c, "1360%07d", i);
        snprintf(x, sizeof x, "70010000000%04d", i);
        r = fx_axb(tenant, a, x, c);
        EXPECT_OK(np700_registry_bind(reg, &r, T0, &b));
        growing = access(staging, F_OK) == 0;
    }
    CHECK_MSG(growing, "no successor index was started at %s", staging);
    EXPECT_OK(np700_registry_free(reg));
    CHECK_MSG(access(staging, F_OK) != 0, "%s left behind", staging);
    CHECK(access(path, F_OK) == 0);
    ct_remove_shared(path);
}

void run_functional(void) {
    printf("== functional\n");
    test_version();
    test_status_str();
    test_last_error();
    test_config(); /* needs no other live configuration: it counts NP700_MAX_HANDLES of them */
    test_registry_lifecycle();
    test_tenants();
    test_numbers();
    test_licensed_limit();
    test_policy_default();
    test_bind_axb();
    test_bind_axn();
    test_bind_axyb_gxb();
    test_policies();
    test_selection();
    test_update();
    test_lifecycle();
    test_sweep();
    test_stats();
    test_reasons();
    test_reader();
    test_no_staging_file_left();
}
