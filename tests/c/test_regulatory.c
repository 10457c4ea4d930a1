/*
 * Regulatory controls from C (issue 6): block lists (a blocked caller refused with
 * NP700_REJECT_BLOCKED, routing again once lifted, a tenant refused another's rule, binding
 * blocks by direction, expiry), real-user reports (NP700_REJECT_USER_NOT_REPORTED until A is
 * reported), SMS rules (commercial senders, verification codes, configured rules, on the
 * registry, a reader and a follower), the archive (call records, history at a time T, the
 * report's JSON) and a follower's own route records.
 */
#include "harness.h"

#include <unistd.h>

#define CHECK_KIND(d, k)                                                                       \
    CHECK_MSG((d).kind == (k), "kind %s, expected %s (reject %u: %s)", ct_kind_name((d).kind), \
              ct_kind_name(k), (unsigned)(d).reject, np700_reject_reason_str((d).reject))
#define CHECK_REJECT(d, reason)                                                                \
    do {                                                                                       \
        CHECK_KIND(d, NP700_DECISION_REJECT);                                                  \
        CHECK_MSG((d).reject == (reason), "reject %u (%s), expected %u (%s)",                  \
                  (unsigned)(d).reject, np700_reject_reason_str((d).reject),                   \
                  (unsigned)(reason), np700_reject_reason_str(reason));                        \
        CHECK_U64((d).sip_status, np700_reject_reason_sip_status(reason));                     \
    } while (0)

/* An SMS with its text, routed on the registry (or, if not NULL, the reader or follower). */
static np700_decision sms(const np700_registry *reg, const np700_reader *rdr,
                          const np700_follower *fol, const char *caller, const char *dialed,
                          const char *text, size_t text_len, uint64_t now) {
    np700_decision d;
    memset(&d, 0, sizeof d);
    if (rdr != NULL) {
        EXPECT_OK(np700_reader_route_message(rdr, caller, strlen(caller), dialed, strlen(dialed),
                                             text, text_len, now, &d));
    } else if (fol != NULL) {
        EXPECT_OK(np700_follower_route_message(fol, caller, strlen(caller), dialed,
                                               strlen(dialed), text, text_len, now, &d));
    } else {
        EXPECT_OK(np700_route_message(reg, caller, strlen(caller), dialed, strlen(dialed), text,
                                      text_len, now, &d));
    }
    return d;
}

/* ---- block lists --------------------------------------------------------------------------- */

static void test_block_caller(void) {
    struct fx f;
    np700_decision d;
    uint64_t id = 0, tenant_rule = 0, out;
    if (!fx_init(&f, 0)) {
        return;
    }
    d = ct_route(f.reg, FX_A_CUSTOMER, FX_A_X, NP700_MEDIA_VOICE, T0 + 1);
    CHECK_KIND(d, NP700_DECISION_ROUTE);

    /* The platform operator blocks the customer: refused everywhere, voice and SMS. */
    EXPECT_OK(np700_registry_block_caller(f.reg, 0, STR(FX_A_CUSTOMER), NULL, 0, false, 0,
                                          STR("complaint 42"), T0 + 2, &id));
    CHECK(id != 0);
    d = ct_route(f.reg, FX_A_CUSTOMER, FX_A_X, NP700_MEDIA_VOICE, T0 + 3);
    CHECK_REJECT(d, NP700_REJECT_BLOCKED);
    CHECK_U64(d.sip_status, 403);
    d = ct_route(f.reg, "+86 139-0000-0001", FX_B_X, NP700_MEDIA_SMS, T0 + 3);
    CHECK_REJECT(d, NP700_REJECT_BLOCKED);
    /* Others are not. */
    d = ct_route(f.reg, FX_A_PARTY, FX_A_X, NP700_MEDIA_VOICE, T0 + 3);
    CHECK_KIND(d, NP700_DECISION_ROUTE);

    /* A tenant may not lift the platform's rule; a rule that is not there is unknown. */
    EXPECT_STATUS(np700_registry_lift_block(f.reg, f.ta, id, T0 + 4),
                  NP700_ERR_BLOCK_RULE_NOT_OWNED);
    EXPECT_STATUS(np700_registry_lift_block(f.reg, 0, id + 100, T0 + 4),
                  NP700_ERR_UNKNOWN_BLOCK_RULE);
    EXPECT_OK(np700_registry_lift_block(f.reg, 0, id, T0 + 5));
    d = ct_route(f.reg, FX_A_CUSTOMER, FX_A_X, NP700_MEDIA_VOICE, T0 + 6);
    CHECK_KIND(d, NP700_DECISION_ROUTE);
    EXPECT_STATUS(np700_registry_lift_block(f.reg, 0, id, T0 + 6), NP700_ERR_UNKNOWN_BLOCK_RULE);

    /* Tenant A blocks its customer's calls to A, on its own bindings, for 100 s. */
    EXPECT_OK(np700_registry_block_caller(f.reg, f.ta, STR(FX_A_CUSTOMER), STR(FX_A_PARTY), false,
                                          T0 + 110, NULL, 0, T0 + 10, &tenant_rule));
    CHECK(tenant_rule > id);
    d = ct_route(f.reg, FX_A_CUSTOMER, FX_A_X, NP700_MEDIA_VOICE, T0 + 11);
    CHECK_REJECT(d, NP700_REJECT_BLOCKED);
    /* Only that way round; and it expires. */
    d = ct_route(f.reg, FX_A_PARTY, FX_A_X, NP700_MEDIA_VOICE, T0 + 11);
    CHECK_KIND(d, NP700_DECISION_ROUTE);
    d = ct_route(f.reg, FX_A_CUSTOMER, FX_A_X, NP700_MEDIA_VOICE, T0 + 110);
    CHECK_KIND(d, NP700_DECISION_ROUTE);
    /* Tenant B may not lift tenant A's rule. */
    EXPECT_STATUS(np700_registry_lift_block(f.reg, f.tb, tenant_rule, T0 + 12),
                  NP700_ERR_BLOCK_RULE_NOT_OWNED);
    EXPECT_OK(np700_registry_lift_block(f.reg, f.ta, tenant_rule, T0 + 12));

    /* Refusals: nothing made, the output untouched. */
    FILL(out);
    EXPECT_STATUS(np700_registry_block_caller(f.reg, 0, STR(FX_A_CUSTOMER), STR(FX_A_CUSTOMER),
                                              false, 0, NULL, 0, T0 + 20, &out),
                  NP700_ERR_INVALID_BLOCK_REQUEST);
    EXPECT_STATUS(np700_registry_block_caller(f.reg, 0, STR(FX_A_CUSTOMER), NULL, 0, true, 0, NULL,
                                              0, T0 + 20, &out),
                  NP700_ERR_INVALID_BLOCK_REQUEST);
    EXPECT_STATUS(np700_registry_block_caller(f.reg, 0, STR(FX_A_CUSTOMER), NULL, 0, false,
                                              T0 + 20, NULL, 0, T0 + 20, &out),
                  NP700_ERR_EXPIRY_NOT_IN_FUTURE);
    EXPECT_STATUS(np700_registry_block_caller(f.reg, 999, STR(FX_A_CUSTOMER), NULL, 0, false, 0,
                                              NULL, 0, T0 + 20, &out),
                  NP700_ERR_UNKNOWN_TENANT);
    EXPECT_STATUS(np700_registry_block_caller(f.reg, 0, STR("not a number"), NULL, 0, false, 0,
                                              NULL, 0, T0 + 20, &out),
                  NP700_ERR_BAD_NUMBER);
    EXPECT_STATUS(np700_registry_block_caller(f.reg, 0, STR(FX_A_CUSTOMER), NULL, 0, false, 0,
                                              STR("bad\nnote"), T0 + 20, &out),
                  NP700_ERR_INVALID_FIELD);
    CHECK_UNTOUCHED(out);
    d = ct_route(f.reg, FX_A_CUSTOMER, FX_A_X, NP700_MEDIA_VOICE, T0 + 21);
    CHECK_KIND(d, NP700_DECISION_ROUTE);
    fx_free(&f);
}

static void test_block_binding(void) {
    struct fx f;
    np700_decision d;
    uint64_t id = 0, out;
    if (!fx_init(&f, 0)) {
        return;
    }
    /* A's calls to B through binding ba only. */
    EXPECT_OK(np700_registry_block_binding(f.reg, f.ta, f.ba, NP700_BLOCK_A_TO_B, 0,
                                           STR("harassment"), T0 + 1, &id));
    d = ct_route(f.reg, FX_A_PARTY, FX_A_X, NP700_MEDIA_VOICE, T0 + 2);
    CHECK_REJECT(d, NP700_REJECT_BLOCKED);
    d = ct_route(f.reg, FX_A_CUSTOMER, FX_A_X, NP700_MEDIA_VOICE, T0 + 2);
    CHECK_KIND(d, NP700_DECISION_ROUTE);
    EXPECT_OK(np700_registry_lift_block(f.reg, f.ta, id, T0 + 3));
    /* Both ways, by the platform operator on any binding. */
    EXPECT_OK(np700_registry_block_binding(f.reg, 0, f.bb, NP700_BLOCK_BOTH, NP700_TIME_NEVER,
                                           NULL, 0, T0 + 4, &id));
    d = ct_route(f.reg, FX_B_PARTY, FX_B_X, NP700_MEDIA_VOICE, T0 + 5);
    CHECK_REJECT(d, NP700_REJECT_BLOCKED);
    d = ct_route(f.reg, FX_B_CUSTOMER, FX_B_X, NP700_MEDIA_VOICE, T0 + 5);
    CHECK_REJECT(d, NP700_REJECT_BLOCKED);
    /* A binding's rules are its tenant's, whoever made them: another tenant may not lift them,
     * the binding's tenant may. */
    EXPECT_STATUS(np700_registry_lift_block(f.reg, f.ta, id, T0 + 6),
                  NP700_ERR_BLOCK_RULE_NOT_OWNED);
    EXPECT_OK(np700_registry_lift_block(f.reg, f.tb, id, T0 + 6));
    d = ct_route(f.reg, FX_B_PARTY, FX_B_X, NP700_MEDIA_VOICE, T0 + 6);
    CHECK_KIND(d, NP700_DECISION_ROUTE);
    /* Refusals. */
    FILL(out);
    EXPECT_STATUS(np700_registry_block_binding(f.reg, f.tb, f.ba, NP700_BLOCK_BOTH, 0, NULL, 0,
                                               T0 + 7, &out),
                  NP700_ERR_CROSS_TENANT);
    EXPECT_STATUS(np700_registry_block_binding(f.reg, f.ta, 999, NP700_BLOCK_BOTH, 0, NULL, 0,
                                               T0 + 7, &out),
                  NP700_ERR_UNKNOWN_BINDING);
    EXPECT_STATUS(np700_registry_block_binding(f.reg, f.ta, f.ba, 0, 0, NULL, 0, T0 + 7, &out),
                  NP700_ERR_BAD_ENUM);
    EXPECT_STATUS(np700_registry_block_binding(f.reg, f.ta, f.ba, 4, 0, NULL, 0, T0 + 7, &out),
                  NP700_ERR_BAD_ENUM);
    EXPECT_OK(np700_registry_unbind(f.reg, f.ta, f.ba, T0 + 8));
    EXPECT_STATUS(np700_registry_block_binding(f.reg, f.ta, f.ba, NP700_BLOCK_BOTH, 0, NULL, 0,
                                               T0 + 9, &out),
                  NP700_ERR_BINDING_ENDED);
    CHECK_UNTOUCHED(out);
    fx_free(&f);
}

/* ---- real-user reports -------------------------------------------------------------------- */

static void test_real_users(void) {
    struct fx f;
    np700_decision d;
    if (!fx_init(&f, 0)) {
        return;
    }
    EXPECT_OK(np700_registry_set_real_user_required(f.reg, f.ta, true, T0 + 1));
    /* Subscriber A not reported: the binding routes nothing, either way. */
    d = ct_route(f.reg, FX_A_PARTY, FX_A_X, NP700_MEDIA_VOICE, T0 + 2);
    CHECK_REJECT(d, NP700_REJECT_USER_NOT_REPORTED);
    CHECK_U64(d.sip_status, 403);
    d = ct_route(f.reg, FX_A_CUSTOMER, FX_A_X, NP700_MEDIA_SMS, T0 + 2);
    CHECK_REJECT(d, NP700_REJECT_USER_NOT_REPORTED);
    /* Another tenant's bindings are not affected. */
    d = ct_route(f.reg, FX_B_PARTY, FX_B_X, NP700_MEDIA_VOICE, T0 + 2);
    CHECK_KIND(d, NP700_DECISION_ROUTE);
    /* Reported (in another form of the number): routes. */
    EXPECT_OK(np700_registry_report_real_user(f.reg, f.ta, STR("+86 138 0000 0001"), true,
                                              T0 + 3));
    EXPECT_OK(np700_registry_report_real_user(f.reg, f.ta, STR(FX_A_PARTY), true, T0 + 3));
    d = ct_route(f.reg, FX_A_PARTY, FX_A_X, NP700_MEDIA_VOICE, T0 + 4);
    CHECK_KIND(d, NP700_DECISION_ROUTE);
    /* Withdrawn: refused again; no longer required: routes. */
    EXPECT_OK(np700_registry_report_real_user(f.reg, f.ta, STR(FX_A_PARTY), false, T0 + 5));
    d = ct_route(f.reg, FX_A_CUSTOMER, FX_A_X, NP700_MEDIA_VOICE, T0 + 6);
    CHECK_REJECT(d, NP700_REJECT_USER_NOT_REPORTED);
    EXPECT_OK(np700_registry_set_real_user_required(f.reg, f.ta, false, T0 + 7));
    EXPECT_OK(np700_registry_set_real_user_required(f.reg, f.ta, false, T0 + 7));
    d = ct_route(f.reg, FX_A_CUSTOMER, FX_A_X, NP700_MEDIA_VOICE, T0 + 8);
    CHECK_KIND(d, NP700_DECISION_ROUTE);
    /* Refusals. */
    EXPECT_STATUS(np700_registry_set_real_user_required(f.reg, 999, true, T0 + 9),
                  NP700_ERR_UNKNOWN_TENANT);
    EXPECT_STATUS(np700_registry_set_real_user_required(f.reg, 0, true, T0 + 9),
                  NP700_ERR_UNKNOWN_TENANT);
    EXPECT_STATUS(np700_registry_report_real_user(f.reg, 999, STR(FX_A_PARTY), true, T0 + 9),
                  NP700_ERR_UNKNOWN_TENANT);
    EXPECT_STATUS(np700_registry_report_real_user(f.reg, f.ta, STR("700100000010001"), true,
                                                  T0 + 9),
                  NP700_ERR_BAD_NUMBER);
    fx_free(&f);
}

/* ---- SMS ---------------------------------------------------------------------------------- */

/* "Your verification code is 482913" in Chinese (UTF-8), and in full-width digits. */
static const char CODE_ZH[] = "\xe3\x80\x90\xe6\x9f\x90\xe6\x9f\x90\xe3\x80\x91"
                              "\xe6\x82\xa8\xe7\x9a\x84\xe9\xaa\x8c\xe8\xaf\x81\xe7\xa0\x81"
                              "\xe6\x98\xaf 482913";
static const char PLAIN_ZH[] = "\xe6\x88\x91\xe5\x88\xb0\xe6\xa5\xbc\xe4\xb8\x8b\xe4\xba\x86"
                               " 13800000001";

static void test_sms_defaults(void) {
    struct fx f;
    np700_decision d;
    const char invalid[] = "code \xff\xfe 1234";
    if (!fx_init(&f, 1)) {
        return;
    }
    /* A commercial port is refused, with and without its text, on the registry and reader. */
    d = sms(f.reg, NULL, NULL, "10690001234", FX_A_X, STR("hello"), T0 + 1);
    CHECK_REJECT(d, NP700_REJECT_COMMERCIAL_SENDER);
    CHECK_U64(d.sip_status, 403);
    d = sms(f.reg, f.rdr, NULL, "+86 1069 0001 234", FX_A_X, STR("hello"), T0 + 1);
    CHECK_REJECT(d, NP700_REJECT_COMMERCIAL_SENDER);
    d = ct_route(f.reg, "10690001234", FX_A_X, NP700_MEDIA_SMS, T0 + 1);
    CHECK_REJECT(d, NP700_REJECT_COMMERCIAL_SENDER);
    /* Verification codes, Chinese and English, are refused; ordinary texts route. */
    d = sms(f.reg, NULL, NULL, FX_A_CUSTOMER, FX_A_X, STR(CODE_ZH), T0 + 2);
    CHECK_REJECT(d, NP700_REJECT_VERIFICATION_CODE);
    d = sms(f.reg, f.rdr, NULL, FX_A_CUSTOMER, FX_A_X, STR("Your verification code is 4829"),
            T0 + 2);
    CHECK_REJECT(d, NP700_REJECT_VERIFICATION_CODE);
    d = sms(f.reg, NULL, NULL, FX_A_CUSTOMER, FX_A_X, STR(PLAIN_ZH), T0 + 3);
    CHECK_KIND(d, NP700_DECISION_ROUTE);
    CHECK_STR(d.targets[0], "+8613800000001");
    d = sms(f.reg, f.rdr, NULL, FX_A_CUSTOMER, FX_A_X, NULL, 0, T0 + 3);
    CHECK_KIND(d, NP700_DECISION_ROUTE);
    /* Invalid UTF-8 is scanned, not refused as an argument. */
    d = sms(f.reg, NULL, NULL, FX_A_CUSTOMER, FX_A_X, STR(invalid), T0 + 4);
    CHECK_KIND(d, NP700_DECISION_ROUTE);
    /* Past the rules, the binding decides as for a call. */
    d = sms(f.reg, NULL, NULL, "13700000009", FX_A_X, STR("hi"), T0 + 5);
    CHECK_REJECT(d, NP700_REJECT_CALLER_NOT_PERMITTED);
    fx_free(&f);
}

static void test_sms_configured(void) {
    np700_config *cfg = NULL;
    np700_registry *reg = NULL;
    np700_decision d;
    np700_binding_info info;
    np700_bind_request r;
    uint32_t t = 0;
    EXPECT_OK(np700_config_new(&cfg));
    EXPECT_OK(np700_config_clear_sms_rules(cfg));
    EXPECT_OK(np700_config_add_sms_sender_prefix(cfg, STR("95")));
    EXPECT_OK(np700_config_add_sms_sender_prefix(cfg, STR("95")));
    EXPECT_OK(np700_config_add_sms_code_keyword(cfg, STR("PIN")));
    EXPECT_OK(np700_config_set_sms_code_digits(cfg, 4, 4));
    EXPECT_OK(np700_registry_new(cfg, &reg));
    EXPECT_OK(np700_config_free(cfg));
    EXPECT_OK(np700_registry_license_block(reg, STR("70010000000"), 10, T0));
    EXPECT_OK(np700_registry_register_tenant(reg, STR("Swift Parcel"), NULL, 0, 0, T0, &t));
    EXPECT_OK(np700_registry_assign_number(reg, t, STR("70010000001"), NULL, 0, T0));
    r = fx_axb(t, FX_A_PARTY, FX_A_X, FX_A_CUSTOMER);
    EXPECT_OK(np700_registry_bind(reg, &r, T0, &info));
    /* 95 is refused; 106 is not (a port is no subscriber: the binding finds no caller). */
    d = sms(reg, NULL, NULL, "95588", FX_A_X, STR("hi"), T0 + 1);
    CHECK_REJECT(d, NP700_REJECT_COMMERCIAL_SENDER);
    d = sms(reg, NULL, NULL, "10690001234", FX_A_X, STR("hi"), T0 + 1);
    CHECK_REJECT(d, NP700_REJECT_CALLER_UNIDENTIFIED);
    /* Only the configured keyword and length count. */
    d = sms(reg, NULL, NULL, FX_A_CUSTOMER, FX_A_X, STR("your pin: 1234"), T0 + 2);
    CHECK_REJECT(d, NP700_REJECT_VERIFICATION_CODE);
    d = sms(reg, NULL, NULL, FX_A_CUSTOMER, FX_A_X, STR("your PIN: 12345"), T0 + 2);
    CHECK_KIND(d, NP700_DECISION_ROUTE);
    d = sms(reg, NULL, NULL, FX_A_CUSTOMER, FX_A_X, STR(CODE_ZH), T0 + 2);
    CHECK_KIND(d, NP700_DECISION_ROUTE);
    EXPECT_OK(np700_registry_free(reg));

    /* The setters' limits. */
    EXPECT_OK(np700_config_new(&cfg));
    EXPECT_OK(np700_config_clear_sms_rules(cfg));
    for (int i = 0; i < NP700_MAX_SMS_PREFIXES; i++) {
        char p[8];
        snprintf(p, sizeof p, "9%d", 10 + i);
        EXPECT_OK(np700_config_add_sms_sender_prefix(cfg, p, strlen(p)));
    }
    EXPECT_STATUS(np700_config_add_sms_sender_prefix(cfg, STR("106")), NP700_ERR_TOO_LONG);
    EXPECT_STATUS(np700_config_add_sms_sender_prefix(cfg, STR("12345678901234567")),
                  NP700_ERR_TOO_LONG);
    EXPECT_STATUS(np700_config_add_sms_sender_prefix(cfg, STR("1o6")), NP700_ERR_BAD_NUMBER);
    EXPECT_STATUS(np700_config_add_sms_sender_prefix(cfg, NULL, 0), NP700_ERR_BAD_NUMBER);
    for (int i = 0; i < NP700_MAX_SMS_KEYWORDS; i++) {
        char k[16];
        snprintf(k, sizeof k, "kw%d", i);
        EXPECT_OK(np700_config_add_sms_code_keyword(cfg, k, strlen(k)));
    }
    EXPECT_STATUS(np700_config_add_sms_code_keyword(cfg, STR("one more")), NP700_ERR_TOO_LONG);
    EXPECT_STATUS(np700_config_add_sms_code_keyword(cfg, NULL, 0), NP700_ERR_INVALID_FIELD);
    EXPECT_STATUS(np700_config_set_sms_code_digits(cfg, 0, 4), NP700_ERR_OUT_OF_RANGE);
    EXPECT_STATUS(np700_config_set_sms_code_digits(cfg, 5, 4), NP700_ERR_OUT_OF_RANGE);
    EXPECT_STATUS(np700_config_set_sms_code_digits(cfg, 4, NP700_MAX_SMS_CODE_DIGITS + 1),
                  NP700_ERR_OUT_OF_RANGE);
    EXPECT_OK(np700_config_set_sms_code_digits(cfg, 1, NP700_MAX_SMS_CODE_DIGITS));
    /* Still a configuration a registry is made from. */
    EXPECT_OK(np700_registry_new(cfg, &reg));
    EXPECT_OK(np700_registry_free(reg));
    EXPECT_OK(np700_config_free(cfg));
}

/* ---- the archive, call records, history, reports, a follower's records ----------------- */

static void remove_journal(const char *dir) {
    char archive[160];
    snprintf(archive, sizeof archive, "%s/archive", dir);
    ct_remove_dir(archive);
    ct_remove_dir(dir);
}

#define X1 "700100000010001"
#define A1 "13800000001"
#define B1 "13900000001"
#define C1 "13800000002"
#define D1 "13900000002"

static void test_archive(void) {
    char dir[128];
    np700_config *cfg = NULL;
    np700_registry *reg = NULL;
    np700_follower *fol = NULL;
    np700_bind_request r;
    np700_binding_info first, second;
    np700_decision d;
    np700_history_hit hit;
    np700_route_record recs[4];
    uint32_t t = 0;
    size_t n = 0, needed = 0;
    uint64_t dropped = 1;
    char *report;
    char small[16];

    ct_temp_path(dir, sizeof dir, "regulatory-journal");
    remove_journal(dir);
    EXPECT_OK(np700_config_new(&cfg));
    EXPECT_OK(np700_config_set_archive(cfg, true, 30 * 86400));
    EXPECT_STATUS(np700_config_set_archive(cfg, true, 0), NP700_ERR_OUT_OF_RANGE);
    EXPECT_STATUS(np700_config_set_archive(cfg, true, NP700_MAX_RETENTION_SECS + 1),
                  NP700_ERR_OUT_OF_RANGE);
    EXPECT_OK(np700_registry_open(cfg, dir, strlen(dir), &reg, NULL));
    EXPECT_OK(np700_registry_license_block(reg, STR("70010000000"), 10, T0));
    EXPECT_OK(np700_registry_register_tenant(reg, STR("Swift Parcel"), NULL, 0, 0, T0, &t));
    EXPECT_OK(np700_registry_assign_number(reg, t, STR("70010000001"), NULL, 0, T0));
    r = fx_axb(t, A1, X1, B1);
    EXPECT_OK(np700_registry_bind(reg, &r, T0, &first));

    /* A call routed, archived, ended. */
    d = ct_route(reg, B1, X1, NP700_MEDIA_VOICE, T0 + 10);
    CHECK_KIND(d, NP700_DECISION_ROUTE);
    d = ct_route(reg, "13700000009", X1, NP700_MEDIA_VOICE, T0 + 11);
    CHECK_REJECT(d, NP700_REJECT_CALLER_NOT_PERMITTED);
    EXPECT_OK(np700_registry_archive_drained(reg, 1, T0 + 12, &n));
    CHECK_U64(n, 1);
    EXPECT_OK(np700_registry_archive_drained(reg, 1000, T0 + 12, &n));
    CHECK_U64(n, 1);
    EXPECT_OK(np700_registry_archive_drained(reg, 0, T0 + 12, &n));
    CHECK_U64(n, 0);
    EXPECT_OK(np700_registry_end_call(reg, first.id, STR(B1), STR(X1), T0 + 10, true, 60, 16,
                                      T0 + 80));
    EXPECT_OK(np700_registry_end_call(reg, first.id, STR("+86 139 0000 0001"),
                                      STR("+86 700 1000 0001 0001"), T0 + 10, false, 0, 19,
                                      T0 + 80));
    EXPECT_STATUS(np700_registry_end_call(reg, 999, STR(B1), STR(X1), T0 + 10, true, 60, 16,
                                          T0 + 80),
                  NP700_ERR_UNKNOWN_BINDING);
    EXPECT_STATUS(np700_registry_end_call(reg, first.id, STR(B1), STR("70010000001"), T0 + 10,
                                          true, 60, 16, T0 + 80),
                  NP700_ERR_BAD_NUMBER);

    /* The binding ends; X carries C <-> D from T0 + 200. */
    EXPECT_OK(np700_registry_unbind(reg, t, first.id, T0 + 100));
    r = fx_axb(t, C1, X1, D1);
    EXPECT_OK(np700_registry_bind(reg, &r, T0 + 200, &second));
    CHECK(second.id != first.id);

    /* History: what B dialling X reached at T0 + 50 (the ended binding, from the archive). */
    FILL(hit);
    EXPECT_OK(np700_registry_history(reg, STR(X1), STR(B1), T0 + 50, &hit));
    CHECK(hit.found);
    CHECK(!hit.live);
    CHECK_U64(hit.binding_id, first.id);
    CHECK_U64(hit.tenant, t);
    CHECK_U64(hit.mode, NP700_MODE_AXB);
    CHECK_U64(hit.from, T0);
    CHECK_U64(hit.until, T0 + 100);
    CHECK_U64(hit.to_count, 1);
    CHECK_STR(hit.to[0], "+8613800000001");
    CHECK_STR(hit.display, X1);
    /* ... and between the bindings: nothing; D at T0 + 300: the live binding. */
    FILL(hit);
    EXPECT_OK(np700_registry_history(reg, STR(X1), STR(B1), T0 + 150, &hit));
    CHECK(!hit.found);
    CHECK_U64(hit.binding_id, 0);
    CHECK_STR(hit.display, "");
    EXPECT_OK(np700_registry_history(reg, STR("+86 700-1000-0001-0001"), STR(D1), T0 + 300, &hit));
    CHECK(hit.found);
    CHECK(hit.live);
    CHECK_U64(hit.binding_id, second.id);
    CHECK_STR(hit.to[0], "+8613800000002");
    CHECK_U64(hit.from, T0 + 200);
    FILL(hit);
    EXPECT_STATUS(np700_registry_history(reg, STR("13800000001"), STR(D1), T0 + 300, &hit),
                  NP700_ERR_BAD_NUMBER);
    CHECK_UNTOUCHED(hit);

    /* The report: the size first, then the JSON. */
    needed = 0;
    EXPECT_STATUS(np700_registry_report(reg, T0, T0 + 86400, T0 + 500, NULL, 0, &needed),
                  NP700_ERR_BUFFER_TOO_SMALL);
    CHECK(needed > 100);
    memset(small, SENTINEL, sizeof small);
    EXPECT_STATUS(np700_registry_report(reg, T0, T0 + 86400, T0 + 500, small, sizeof small, NULL),
                  NP700_ERR_BUFFER_TOO_SMALL);
    CHECK(ct_untouched(small, sizeof small));
    EXPECT_STATUS(np700_registry_report(reg, T0 + 2, T0 + 1, T0 + 500, NULL, 0, &needed),
                  NP700_ERR_OUT_OF_RANGE);
    report = (char *)malloc(needed);
    if (report != NULL) {
        size_t again = 0;
        EXPECT_OK(np700_registry_report(reg, T0, T0 + 86400, T0 + 500, report, needed, &again));
        CHECK_U64(again, needed);
        CHECK_U64(strlen(report), needed - 1);
        CHECK(report[0] == '{');
        CHECK(strstr(report, "\"generated_at\": 1767226100") != NULL);
        CHECK(strstr(report, "\"from\": 1767225600") != NULL);
        CHECK(strstr(report, "\"records_counted\": 2") != NULL);
        CHECK(strstr(report, "\"records_dropped\": 0") != NULL);
        CHECK(strstr(report, "\"name\": \"Swift Parcel\"") != NULL);
        CHECK(strstr(report, "\"CallerNotPermitted\": 1") != NULL);
        free(report);
    }

    /* A follower of the journal routes and keeps its own records. */
    EXPECT_OK(np700_follower_open(cfg, dir, strlen(dir), &fol));
    d = ct_route(reg, D1, X1, NP700_MEDIA_VOICE, T0 + 600); /* the writer's, not the follower's */
    CHECK_KIND(d, NP700_DECISION_ROUTE);
    memset(&d, 0, sizeof d);
    EXPECT_OK(np700_follower_route(fol, STR(D1), STR(X1), NP700_MEDIA_VOICE, T0 + 601, &d));
    CHECK_KIND(d, NP700_DECISION_ROUTE);
    d = sms(NULL, NULL, fol, "10690001234", X1, STR("hi"), T0 + 602);
    CHECK_REJECT(d, NP700_REJECT_COMMERCIAL_SENDER);
    d = sms(NULL, NULL, fol, C1, X1, STR("Your verification code is 4829"), T0 + 603);
    CHECK_REJECT(d, NP700_REJECT_VERIFICATION_CODE);
    memset(recs, SENTINEL, sizeof recs);
    n = 99;
    EXPECT_OK(np700_follower_drain_records(fol, recs, 4, &n));
    CHECK_U64(n, 3);
    CHECK_U64(recs[0].at, T0 + 601);
    CHECK_U64(recs[0].kind, NP700_DECISION_ROUTE);
    CHECK_U64(recs[0].binding_id, second.id);
    CHECK_STR(recs[0].caller, "+8613900000002");
    CHECK_STR(recs[0].to, "+8613800000002");
    CHECK_U64(recs[1].media, NP700_MEDIA_SMS);
    CHECK_U64(recs[1].reject, NP700_REJECT_COMMERCIAL_SENDER);
    CHECK_U64(recs[2].reject, NP700_REJECT_VERIFICATION_CODE);
    CHECK(ct_untouched(&recs[3], sizeof recs[3]));
    EXPECT_OK(np700_follower_drain_records(fol, recs, 4, &n));
    CHECK_U64(n, 0);
    EXPECT_OK(np700_follower_drain_records(fol, NULL, 0, &n));
    CHECK_U64(n, 0);
    EXPECT_OK(np700_follower_records_dropped(fol, &dropped));
    CHECK_U64(dropped, 0);
    dropped = 1;
    EXPECT_OK(np700_follower_records_abandoned(fol, &dropped));
    CHECK_U64(dropped, 0);
    EXPECT_OK(np700_follower_free(fol));
    /* The writer's own record of T0 + 600 is still in its queue. */
    EXPECT_OK(np700_registry_drain_records(reg, recs, 4, &n));
    CHECK_U64(n, 1);
    CHECK_U64(recs[0].at, T0 + 600);

    EXPECT_OK(np700_registry_free(reg));
    /* Reopened: the archived history is still there. */
    EXPECT_OK(np700_registry_open(cfg, dir, strlen(dir), &reg, NULL));
    EXPECT_OK(np700_registry_history(reg, STR(X1), STR(B1), T0 + 50, &hit));
    CHECK(hit.found && hit.binding_id == first.id);
    EXPECT_OK(np700_registry_free(reg));
    EXPECT_OK(np700_config_free(cfg));
    remove_journal(dir);
}

/* Without a journal there is no archive: live bindings answer, ended ones are gone, reports
 * count no traffic, and drained records are dropped. */
static void test_without_archive(void) {
    struct fx f;
    np700_history_hit hit;
    size_t n = 99, needed = 0;
    char buf[65536];
    if (!fx_init(&f, 0)) {
        return;
    }
    EXPECT_OK(np700_registry_history(f.reg, STR(FX_A_X), STR(FX_A_CUSTOMER), T0 + 10, &hit));
    CHECK(hit.found && hit.live && hit.binding_id == f.ba);
    CHECK_U64(hit.until, T0 + 86400);
    ct_route(f.reg, FX_A_CUSTOMER, FX_A_X, NP700_MEDIA_VOICE, T0 + 11);
    EXPECT_OK(np700_registry_archive_drained(f.reg, 16, T0 + 12, &n));
    CHECK_U64(n, 1);
    EXPECT_OK(np700_registry_end_call(f.reg, f.ba, STR(FX_A_CUSTOMER), STR(FX_A_X), T0 + 11, true,
                                      5, 16, T0 + 20));
    EXPECT_OK(np700_registry_unbind(f.reg, f.ta, f.ba, T0 + 30));
    EXPECT_OK(np700_registry_history(f.reg, STR(FX_A_X), STR(FX_A_CUSTOMER), T0 + 10, &hit));
    CHECK(!hit.found);
    EXPECT_OK(np700_registry_report(f.reg, T0, T0 + 86400, T0 + 40, buf, sizeof buf, &needed));
    CHECK_U64(strlen(buf), needed - 1);
    CHECK(strstr(buf, "\"records_counted\": 0") != NULL);
    CHECK(strstr(buf, "\"name\": \"Hungry Panda\"") != NULL);
    fx_free(&f);
}

void run_regulatory(void) {
    printf("== regulatory controls\n");
    test_block_caller();
    test_block_binding();
    test_real_users();
    test_sms_defaults();
    test_sms_configured();
    test_archive();
    test_without_archive();
}
