/*
 * Dynamic controls from C: the configuration setters and their ranges, a caller's frequency
 * limit (NP700_REJECT_RATE_LIMITED, SIP 486), probing (NP700_REJECT_AUTO_BLOCKED), route records
 * drained into a C array with exact contents, a full queue counting drops, a counter table too
 * small counting untracked requests, and a reader of the shared index whose routes count against
 * the writer's limit and whose records the writer drains.
 */
#include "harness.h"

#include <unistd.h>

#define X1 "700100000010001"
#define X2 "700100000010002"

/* A registry from `cfg` with one tenant holding 70010000001 and two AXB bindings:
 * 13800000001 <-> 13900000001 through X1 and 13800000002 <-> 13900000002 through X2. */
static np700_registry *make(const np700_config *cfg, uint32_t *tenant, uint64_t b[2]) {
    np700_registry *reg = NULL;
    np700_bind_request r;
    np700_binding_info info;
    uint32_t t = 0;
    EXPECT_OK(np700_registry_new(cfg, &reg));
    EXPECT_OK(np700_registry_license_block(reg, STR("70010000000"), 10, T0));
    EXPECT_OK(np700_registry_register_tenant(reg, STR("Swift Parcel"), NULL, 0, 0, T0, &t));
    EXPECT_OK(np700_registry_assign_number(reg, t, STR("70010000001"), NULL, 0, T0));
    r = fx_axb(t, "13800000001", X1, "13900000001");
    memset(&info, 0, sizeof info);
    EXPECT_OK(np700_registry_bind(reg, &r, T0, &info));
    b[0] = info.id;
    r = fx_axb(t, "13800000002", X2, "13900000002");
    memset(&info, 0, sizeof info);
    EXPECT_OK(np700_registry_bind(reg, &r, T0, &info));
    b[1] = info.id;
    *tenant = t;
    return reg;
}

static np700_decision route_on(const np700_registry *reg, const np700_reader *rdr,
                               const char *caller, const char *dialed, np700_media media,
                               uint64_t now) {
    np700_decision d;
    if (rdr == NULL) {
        return ct_route(reg, caller, dialed, media, now);
    }
    memset(&d, 0, sizeof d);
    EXPECT_OK(np700_reader_route(rdr, caller, strlen(caller), dialed, strlen(dialed), media, now,
                                 &d));
    return d;
}

#define CHECK_KIND(d, k)                                                                       \
    CHECK_MSG((d).kind == (k), "kind %s, expected %s (reject %u)", ct_kind_name((d).kind),     \
              ct_kind_name(k), (unsigned)(d).reject)
#define CHECK_REJECT(d, reason)                                                                \
    do {                                                                                       \
        CHECK_KIND(d, NP700_DECISION_REJECT);                                                  \
        CHECK_MSG((d).reject == (reason), "reject %u (%s), expected %u (%s)",                  \
                  (unsigned)(d).reject, np700_reject_reason_str((d).reject),                   \
                  (unsigned)(reason), np700_reject_reason_str(reason));                        \
        CHECK_U64((d).sip_status, np700_reject_reason_sip_status(reason));                     \
    } while (0)

/* Everything queued so far, into `out` (at most `cap`); returns how many. */
static size_t drain_all(const np700_registry *reg, np700_route_record *out, size_t cap) {
    size_t n = 0, got = 0;
    do {
        got = 0;
        EXPECT_OK(np700_registry_drain_records(reg, out + n, cap - n, &got));
        n += got;
    } while (got > 0 && n < cap);
    return n;
}

static void test_setters(void) {
    np700_config *cfg = NULL;
    EXPECT_OK(np700_config_new(&cfg));
    /* Limits: every subject, every media choice; then the 17th is refused. */
    EXPECT_OK(np700_config_add_rate_limit(cfg, NP700_LIMIT_SUBJECT_CALLER, NP700_MEDIA_VOICE, 60,
                                          3));
    EXPECT_OK(np700_config_add_rate_limit(cfg, NP700_LIMIT_SUBJECT_USAGE_NUMBER, NP700_MEDIA_SMS,
                                          3600, 100));
    EXPECT_OK(np700_config_add_rate_limit(cfg, NP700_LIMIT_SUBJECT_BINDING, NP700_MEDIA_ALL,
                                          UINT32_MAX, UINT32_MAX));
    for (int i = 3; i < NP700_MAX_RATE_LIMITS; i++) {
        EXPECT_OK(np700_config_add_rate_limit(cfg, NP700_LIMIT_SUBJECT_CALLER, NP700_MEDIA_ALL, 1,
                                              1));
    }
    EXPECT_STATUS(np700_config_add_rate_limit(cfg, NP700_LIMIT_SUBJECT_CALLER, NP700_MEDIA_ALL,
                                              60, 1),
                  NP700_ERR_TOO_LONG);
    EXPECT_OK(np700_config_clear_rate_limits(cfg));
    EXPECT_OK(np700_config_clear_rate_limits(cfg));
    EXPECT_OK(np700_config_add_rate_limit(cfg, NP700_LIMIT_SUBJECT_CALLER, NP700_MEDIA_ALL, 60,
                                          1));
    /* Bad values. */
    EXPECT_STATUS(np700_config_add_rate_limit(cfg, 0, NP700_MEDIA_ALL, 60, 1), NP700_ERR_BAD_ENUM);
    EXPECT_STATUS(np700_config_add_rate_limit(cfg, 4, NP700_MEDIA_ALL, 60, 1), NP700_ERR_BAD_ENUM);
    EXPECT_STATUS(np700_config_add_rate_limit(cfg, NP700_LIMIT_SUBJECT_CALLER, 0, 60, 1),
                  NP700_ERR_BAD_ENUM);
    EXPECT_STATUS(np700_config_add_rate_limit(cfg, NP700_LIMIT_SUBJECT_CALLER, 4, 60, 1),
                  NP700_ERR_BAD_ENUM);
    EXPECT_STATUS(np700_config_add_rate_limit(cfg, NP700_LIMIT_SUBJECT_CALLER, NP700_MEDIA_ALL, 0,
                                              1),
                  NP700_ERR_OUT_OF_RANGE);
    EXPECT_STATUS(np700_config_add_rate_limit(cfg, NP700_LIMIT_SUBJECT_CALLER, NP700_MEDIA_ALL,
                                              60, 0),
                  NP700_ERR_OUT_OF_RANGE);
    /* Probing: on, off, and a zero among non-zero values. */
    EXPECT_OK(np700_config_set_probing(cfg, 5, 600, 3600));
    EXPECT_OK(np700_config_set_probing(cfg, 0, 0, 0));
    EXPECT_STATUS(np700_config_set_probing(cfg, 0, 600, 3600), NP700_ERR_OUT_OF_RANGE);
    EXPECT_STATUS(np700_config_set_probing(cfg, 5, 0, 3600), NP700_ERR_OUT_OF_RANGE);
    EXPECT_STATUS(np700_config_set_probing(cfg, 5, 600, 0), NP700_ERR_OUT_OF_RANGE);
    /* Sizes: 1 ..= NP700_MAX_CONTROL_SIZE. */
    EXPECT_OK(np700_config_set_records(cfg, true, 1, 1));
    EXPECT_OK(np700_config_set_records(cfg, false, 4, 16384));
    EXPECT_STATUS(np700_config_set_records(cfg, true, 0, 8), NP700_ERR_OUT_OF_RANGE);
    EXPECT_STATUS(np700_config_set_records(cfg, true, 8, 0), NP700_ERR_OUT_OF_RANGE);
    EXPECT_STATUS(np700_config_set_records(cfg, true, NP700_MAX_CONTROL_SIZE + 1, 8),
                  NP700_ERR_OUT_OF_RANGE);
    EXPECT_STATUS(np700_config_set_records(cfg, false, 8, NP700_MAX_CONTROL_SIZE + 1),
                  NP700_ERR_OUT_OF_RANGE);
    EXPECT_OK(np700_config_set_control_sizes(cfg, 1, 1, 1));
    EXPECT_OK(np700_config_set_control_sizes(cfg, 1024, 64, 1024));
    EXPECT_STATUS(np700_config_set_control_sizes(cfg, 0, 64, 1024), NP700_ERR_OUT_OF_RANGE);
    EXPECT_STATUS(np700_config_set_control_sizes(cfg, 1024, 0, 1024), NP700_ERR_OUT_OF_RANGE);
    EXPECT_STATUS(np700_config_set_control_sizes(cfg, 1024, 64, 0), NP700_ERR_OUT_OF_RANGE);
    EXPECT_STATUS(np700_config_set_control_sizes(cfg, NP700_MAX_CONTROL_SIZE + 1, 64, 1024),
                  NP700_ERR_OUT_OF_RANGE);
    EXPECT_STATUS(np700_config_set_control_sizes(cfg, 1024, UINT32_MAX, 1024),
                  NP700_ERR_OUT_OF_RANGE);
    EXPECT_STATUS(np700_config_set_control_sizes(cfg, 1024, 64, NP700_MAX_CONTROL_SIZE + 1),
                  NP700_ERR_OUT_OF_RANGE);
    EXPECT_OK(np700_config_free(cfg));
}

static void test_caller_limit(void) {
    np700_config *cfg = NULL;
    np700_registry *reg;
    np700_decision d;
    uint32_t t;
    uint64_t b[2];
    EXPECT_OK(np700_config_new(&cfg));
    EXPECT_OK(np700_config_add_rate_limit(cfg, NP700_LIMIT_SUBJECT_CALLER, NP700_MEDIA_VOICE, 60,
                                          3));
    reg = make(cfg, &t, b);
    EXPECT_OK(np700_config_free(cfg));
    for (uint64_t i = 0; i < 3; i++) {
        d = ct_route(reg, "13800000001", X1, NP700_MEDIA_VOICE, T0 + i);
        CHECK_KIND(d, NP700_DECISION_ROUTE);
    }
    d = ct_route(reg, "13800000001", X1, NP700_MEDIA_VOICE, T0 + 10);
    CHECK_REJECT(d, NP700_REJECT_RATE_LIMITED);
    CHECK_U64(d.sip_status, 486);
    /* Every request of the caller counts, whatever the number. */
    d = ct_route(reg, "13800000001", X2, NP700_MEDIA_VOICE, T0 + 11);
    CHECK_REJECT(d, NP700_REJECT_RATE_LIMITED);
    /* SMS are not counted by a voice limit; another caller has its own count. */
    d = ct_route(reg, "13800000001", X1, NP700_MEDIA_SMS, T0 + 12);
    CHECK_KIND(d, NP700_DECISION_ROUTE);
    d = ct_route(reg, "13900000001", X1, NP700_MEDIA_VOICE, T0 + 13);
    CHECK_KIND(d, NP700_DECISION_ROUTE);
    /* The next minute starts over. */
    d = ct_route(reg, "13800000001", X1, NP700_MEDIA_VOICE, T0 + 60);
    CHECK_KIND(d, NP700_DECISION_ROUTE);
    EXPECT_OK(np700_registry_free(reg));
}

static void test_probing(void) {
    np700_config *cfg = NULL;
    np700_registry *reg;
    np700_decision d;
    uint32_t t;
    uint64_t b[2];
    const char *prober = "13700000000";
    EXPECT_OK(np700_config_new(&cfg));
    EXPECT_OK(np700_config_set_probing(cfg, 2, 600, 3600));
    reg = make(cfg, &t, b);
    EXPECT_OK(np700_config_free(cfg));
    /* The same two numbers again and again is not probing. */
    for (uint64_t round = 0; round < 5; round++) {
        d = ct_route(reg, prober, X1, NP700_MEDIA_VOICE, T0 + round);
        CHECK_REJECT(d, NP700_REJECT_CALLER_NOT_PERMITTED);
        d = ct_route(reg, prober, X2, NP700_MEDIA_VOICE, T0 + round);
        CHECK_REJECT(d, NP700_REJECT_CALLER_NOT_PERMITTED);
    }
    /* A third different number blocks the caller, everywhere, for an hour. */
    d = ct_route(reg, prober, "700100000010003", NP700_MEDIA_VOICE, T0 + 20);
    CHECK_REJECT(d, NP700_REJECT_AUTO_BLOCKED);
    CHECK_U64(d.sip_status, 403);
    d = ct_route(reg, prober, X1, NP700_MEDIA_SMS, T0 + 21);
    CHECK_REJECT(d, NP700_REJECT_AUTO_BLOCKED);
    d = ct_route(reg, "13800000001", X1, NP700_MEDIA_VOICE, T0 + 22);
    CHECK_KIND(d, NP700_DECISION_ROUTE);
    d = ct_route(reg, prober, X1, NP700_MEDIA_VOICE, T0 + 20 + 3600);
    CHECK_REJECT(d, NP700_REJECT_CALLER_NOT_PERMITTED);
    EXPECT_OK(np700_registry_free(reg));
}

static void check_record(const np700_route_record *r, uint64_t at, np700_media media,
                         np700_decision_kind kind, uint32_t reason, uint32_t tenant,
                         uint64_t binding, const char *caller, const char *dialed, const char *to,
                         const char *display) {
    CHECK_U64(r->at, at);
    CHECK_U64(r->media, media);
    CHECK_MSG(r->kind == kind, "record at %llu: kind %s, expected %s",
              (unsigned long long)at, ct_kind_name(r->kind), ct_kind_name(kind));
    CHECK_U64(r->reject, kind == NP700_DECISION_REJECT ? reason : 0);
    CHECK_U64(r->announce, kind == NP700_DECISION_ANNOUNCE ? reason : 0);
    CHECK_U64(r->sip_status,
              kind == NP700_DECISION_REJECT ? np700_reject_reason_sip_status(reason) : 0);
    CHECK_U64(r->tenant, tenant);
    CHECK_U64(r->binding_id, binding);
    CHECK_STR(r->caller, caller);
    CHECK_STR(r->dialed, dialed);
    CHECK_STR(r->to, to);
    CHECK_STR(r->display, display);
}

static void test_records(void) {
    np700_config *cfg = NULL;
    np700_registry *reg;
    np700_decision d;
    np700_route_record recs[200];
    size_t written = 0;
    uint32_t t;
    uint64_t b[2];
    EXPECT_OK(np700_config_new(&cfg));
    reg = make(cfg, &t, b); /* records are on by default */
    EXPECT_OK(np700_config_free(cfg));
    /* Nothing routed: nothing to drain; (NULL, 0) is fine. */
    FILL(written);
    EXPECT_OK(np700_registry_drain_records(reg, NULL, 0, &written));
    CHECK_U64(written, 0);
    memset(recs, SENTINEL, sizeof recs);
    EXPECT_OK(np700_registry_drain_records(reg, recs, 200, &written));
    CHECK_U64(written, 0);
    CHECK(ct_untouched(recs, sizeof recs));

    EXPECT_OK(np700_registry_unbind(reg, t, b[1], T0 + 1));
    d = ct_route(reg, "13800000001", X1, NP700_MEDIA_VOICE, T0 + 5);
    CHECK_KIND(d, NP700_DECISION_ROUTE);
    d = ct_route(reg, "13700000000", X1, NP700_MEDIA_SMS, T0 + 6);
    CHECK_REJECT(d, NP700_REJECT_CALLER_NOT_PERMITTED);
    d = ct_route(reg, "13700000000", "7001234", NP700_MEDIA_VOICE, T0 + 7);
    CHECK_KIND(d, NP700_DECISION_COLLECT_DIGITS);
    d = ct_route(reg, "", "not a number", NP700_MEDIA_VOICE, T0 + 8);
    CHECK_REJECT(d, NP700_REJECT_MALFORMED_NUMBER);
    d = ct_route(reg, "13900000002", X2, NP700_MEDIA_VOICE, T0 + 9);
    CHECK_KIND(d, NP700_DECISION_ANNOUNCE);

    /* A capacity of 2, then the rest. */
    memset(recs, SENTINEL, sizeof recs);
    EXPECT_OK(np700_registry_drain_records(reg, recs, 2, &written));
    CHECK_U64(written, 2);
    CHECK(ct_untouched(&recs[2], sizeof recs - 2 * sizeof recs[0]));
    EXPECT_OK(np700_registry_drain_records(reg, recs + 2, 198, &written));
    CHECK_U64(written, 3);
    CHECK(ct_untouched(&recs[5], sizeof recs - 5 * sizeof recs[0]));
    check_record(&recs[0], T0 + 5, NP700_MEDIA_VOICE, NP700_DECISION_ROUTE, 0, t, b[0],
                 "+8613800000001", X1, "+8613900000001", X1);
    check_record(&recs[1], T0 + 6, NP700_MEDIA_SMS, NP700_DECISION_REJECT,
                 NP700_REJECT_CALLER_NOT_PERMITTED, t, 0, "+8613700000000", X1, "", "");
    check_record(&recs[2], T0 + 7, NP700_MEDIA_VOICE, NP700_DECISION_COLLECT_DIGITS, 0, 0, 0,
                 "+8613700000000", "", "", "");
    check_record(&recs[3], T0 + 8, NP700_MEDIA_VOICE, NP700_DECISION_REJECT,
                 NP700_REJECT_MALFORMED_NUMBER, 0, 0, "", "", "", "");
    /* The ended binding's party: the tenant of the number, no binding (it has ended). */
    check_record(&recs[4], T0 + 9, NP700_MEDIA_VOICE, NP700_DECISION_ANNOUNCE,
                 NP700_ANNOUNCE_SERVICE_ENDED, t, 0, "+8613900000002", X2, "", "");
    CHECK(d.announce == NP700_ANNOUNCE_SERVICE_ENDED);
    EXPECT_OK(np700_registry_drain_records(reg, recs, 200, &written));
    CHECK_U64(written, 0);

    /* More than one internal step (64 records), in the order routed. */
    for (uint64_t i = 0; i < 150; i++) {
        ct_route(reg, "13800000001", X1, NP700_MEDIA_VOICE, T0 + 100 + i);
    }
    memset(recs, SENTINEL, sizeof recs);
    EXPECT_OK(np700_registry_drain_records(reg, recs, 200, &written));
    CHECK_U64(written, 150);
    for (size_t i = 0; i < 150 && i < written; i++) {
        CHECK_U64(recs[i].at, T0 + 100 + i);
        CHECK_U64(recs[i].kind, NP700_DECISION_ROUTE);
    }
    CHECK(ct_untouched(&recs[150], sizeof recs - 150 * sizeof recs[0]));
    {
        uint64_t dropped = 1, abandoned = 1, untracked = 1;
        EXPECT_OK(np700_registry_records_dropped(reg, &dropped));
        CHECK_U64(dropped, 0);
        EXPECT_OK(np700_registry_records_abandoned(reg, &abandoned));
        CHECK_U64(abandoned, 0);
        EXPECT_OK(np700_registry_untracked(reg, &untracked));
        CHECK_U64(untracked, 0);
    }
    EXPECT_OK(np700_registry_free(reg));
}

static void test_full_queue(void) {
    np700_config *cfg = NULL;
    np700_registry *reg;
    np700_route_record recs[32];
    size_t n;
    uint64_t dropped = 0;
    uint32_t t;
    uint64_t b[2];
    EXPECT_OK(np700_config_new(&cfg));
    EXPECT_OK(np700_config_set_records(cfg, true, 1, 8));
    reg = make(cfg, &t, b);
    for (uint64_t i = 0; i < 20; i++) {
        ct_route(reg, "13800000001", X1, NP700_MEDIA_VOICE, T0 + i);
    }
    EXPECT_OK(np700_registry_records_dropped(reg, &dropped));
    CHECK_U64(dropped, 12);
    /* A full queue is not an abandoned record. */
    {
        uint64_t abandoned = 1;
        EXPECT_OK(np700_registry_records_abandoned(reg, &abandoned));
        CHECK_U64(abandoned, 0);
    }
    n = drain_all(reg, recs, 32);
    CHECK_U64(n, 8);
    /* The oldest are kept. */
    for (size_t i = 0; i < n; i++) {
        CHECK_U64(recs[i].at, T0 + i);
    }
    /* Room again. */
    ct_route(reg, "13800000001", X1, NP700_MEDIA_VOICE, T0 + 30);
    n = drain_all(reg, recs, 32);
    CHECK_U64(n, 1);
    EXPECT_OK(np700_registry_records_dropped(reg, &dropped));
    CHECK_U64(dropped, 12);
    EXPECT_OK(np700_registry_free(reg));

    /* Records off: nothing queued, nothing dropped. */
    EXPECT_OK(np700_config_set_records(cfg, false, 1, 8));
    reg = make(cfg, &t, b);
    for (uint64_t i = 0; i < 20; i++) {
        ct_route(reg, "13800000001", X1, NP700_MEDIA_VOICE, T0 + i);
    }
    CHECK_U64(drain_all(reg, recs, 32), 0);
    EXPECT_OK(np700_registry_records_dropped(reg, &dropped));
    CHECK_U64(dropped, 0);
    EXPECT_OK(np700_registry_free(reg));
    EXPECT_OK(np700_config_free(cfg));
}

static void test_untracked(void) {
    np700_config *cfg = NULL;
    np700_registry *reg;
    uint64_t untracked = 0;
    uint32_t t;
    uint64_t b[2];
    char caller[16];
    EXPECT_OK(np700_config_new(&cfg));
    EXPECT_OK(np700_config_add_rate_limit(cfg, NP700_LIMIT_SUBJECT_CALLER, NP700_MEDIA_ALL, 60,
                                          100));
    EXPECT_OK(np700_config_set_control_sizes(cfg, 1, 1, 1));
    reg = make(cfg, &t, b);
    EXPECT_OK(np700_config_free(cfg));
    for (int i = 0; i < 10; i++) {
        snprintf(caller, sizeof caller, "1370000%04d", i);
        ct_route(reg, caller, X1, NP700_MEDIA_VOICE, T0 + 1);
    }
    EXPECT_OK(np700_registry_untracked(reg, &untracked));
    CHECK_MSG(untracked >= 1 && untracked <= 9, "%llu untracked of 10 callers in 1 slot",
              (unsigned long long)untracked);
    EXPECT_OK(np700_registry_free(reg));
}

/* A reader of the shared index counts against the writer's limit; the writer drains its
 * records. */
static void test_reader(void) {
    np700_config *cfg = NULL;
    np700_registry *reg;
    np700_reader *rdr = NULL;
    np700_decision d;
    np700_route_record recs[16];
    char path[128];
    int seen[7] = {0, 0, 0, 0, 0, 0, 0};
    size_t n;
    uint32_t t;
    uint64_t b[2];
    ct_temp_path(path, sizeof path, "controls");
    EXPECT_OK(np700_config_new(&cfg));
    EXPECT_OK(np700_config_set_shared_path(cfg, path, strlen(path)));
    EXPECT_OK(np700_config_add_rate_limit(cfg, NP700_LIMIT_SUBJECT_CALLER, NP700_MEDIA_ALL, 60,
                                          4));
    reg = make(cfg, &t, b);
    EXPECT_OK(np700_config_free(cfg));
    EXPECT_OK(np700_reader_attach(path, strlen(path), &rdr));
    d = route_on(reg, NULL, "13800000001", X1, NP700_MEDIA_VOICE, T0 + 1);
    CHECK_KIND(d, NP700_DECISION_ROUTE);
    d = route_on(reg, rdr, "13800000001", X1, NP700_MEDIA_VOICE, T0 + 2);
    CHECK_KIND(d, NP700_DECISION_ROUTE);
    d = route_on(reg, rdr, "13800000001", X1, NP700_MEDIA_SMS, T0 + 3);
    CHECK_KIND(d, NP700_DECISION_ROUTE);
    d = route_on(reg, NULL, "13800000001", X1, NP700_MEDIA_VOICE, T0 + 4);
    CHECK_KIND(d, NP700_DECISION_ROUTE);
    d = route_on(reg, rdr, "13800000001", X1, NP700_MEDIA_VOICE, T0 + 5);
    CHECK_REJECT(d, NP700_REJECT_RATE_LIMITED);
    d = route_on(reg, NULL, "13800000001", X1, NP700_MEDIA_VOICE, T0 + 6);
    CHECK_REJECT(d, NP700_REJECT_RATE_LIMITED);
    n = drain_all(reg, recs, 16);
    CHECK_U64(n, 6);
    for (size_t i = 0; i < n; i++) {
        uint64_t at = recs[i].at - T0;
        CHECK_MSG(at >= 1 && at <= 6 && !seen[at], "record at T0 + %llu", (unsigned long long)at);
        if (at >= 1 && at <= 6) {
            seen[at] = 1;
            CHECK_U64(recs[i].kind, at <= 4 ? NP700_DECISION_ROUTE : NP700_DECISION_REJECT);
            CHECK_U64(recs[i].media, at == 3 ? NP700_MEDIA_SMS : NP700_MEDIA_VOICE);
            CHECK_STR(recs[i].caller, "+8613800000001");
            CHECK_STR(recs[i].dialed, X1);
        }
    }
    EXPECT_OK(np700_reader_free(rdr));
    EXPECT_OK(np700_registry_free(reg));
    ct_remove_shared(path);
}

void run_controls(void) {
    printf("== controls\n");
    test_setters();
    test_caller_limit();
    test_probing();
    test_records();
    test_full_queue();
    test_untracked();
    test_reader();
}
