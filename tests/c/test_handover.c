/*
 * Hand-over from C: a platform's bindings exported (np700_registry_export) and imported
 * (np700_registry_import) into other registries with identical routing — the whole platform,
 * one tenant, onto a tenant the target already has, renumbered —, the buffer protocol of the
 * export, every refusal of an import (outputs untouched, the target unchanged), and legacy
 * middle-number bindings migrated (np700_registry_migrate_legacy) with an outcome per line.
 */
#include "harness.h"

#define NOW (T0 + 100)
#define DAY_LATER "1767312000" /* T0 + 1 day */
#define DOC_ROOM 65536

/* ---- helpers ------------------------------------------------------------------------------- */

/* Exports `tenant` (0: the platform) of `reg` at `now` into `buf` (DOC_ROOM bytes). */
static void export_doc(const np700_registry *reg, uint32_t tenant, uint64_t now, char *buf) {
    size_t needed = 0;
    EXPECT_OK(np700_registry_export(reg, tenant, now, buf, DOC_ROOM, &needed));
    CHECK_U64(strlen(buf) + 1, needed);
}

static np700_registry *new_registry(const np700_config *cfg) {
    np700_registry *reg = NULL;
    EXPECT_OK(np700_registry_new(cfg, &reg));
    return reg;
}

static np700_stats stats(const np700_registry *reg) {
    np700_stats s;
    memset(&s, 0, sizeof s);
    EXPECT_OK(np700_registry_stats(reg, &s));
    return s;
}

static int same_stats(np700_stats a, np700_stats b) {
    /* The index's own figures may differ between registries; the content may not. */
    return a.tenants == b.tenants && a.active_tenants == b.active_tenants &&
           a.licensed_blocks == b.licensed_blocks && a.licensed_numbers == b.licensed_numbers &&
           a.assigned_numbers == b.assigned_numbers &&
           a.quarantined_numbers == b.quarantined_numbers && a.bindings == b.bindings &&
           a.suspended_bindings == b.suspended_bindings &&
           a.usage_numbers_in_use == b.usage_numbers_in_use;
}

static np700_status import_doc(const np700_registry *reg, const char *doc,
                               const np700_tenant_mapping *map, size_t map_len,
                               np700_import_ids ids, np700_import_report *out) {
    return np700_registry_import(reg, doc, strlen(doc), map, map_len, ids, NOW, out);
}

static np700_tenant_mapping pair(uint32_t exported, uint32_t target) {
    np700_tenant_mapping m;
    m.exported = exported;
    m.target = target;
    return m;
}

/* Who calls and what they dial: the fixture's parties, a released party, a stranger; its
 * usage numbers, a released one, a free one, a management number (digits to collect). */
static const char *const CALLERS[] = {FX_A_PARTY,    FX_A_CUSTOMER, FX_B_PARTY, FX_B_CUSTOMER,
                                      "13800000002", "13900000002", "13700000002",
                                      "18600000000"};
static const char *const DIALED[] = {FX_A_X,           FX_B_X,           "700100000010002",
                                     "700100000050002", "700100000020000", "70010000001"};
#define N_CALLERS (sizeof CALLERS / sizeof CALLERS[0])
#define N_DIALED (sizeof DIALED / sizeof DIALED[0])

/*
 * Every caller dialling every number by voice and SMS gets the same decision from `b` as from
 * `a`, tenants renamed by `tenant_map` (index: the tenant in `a`; 0 maps to 0). With `only`
 * (a management number's digits), numbers outside it were not handed over: `b` must not route
 * them at all.
 */
static void same_routes(const np700_registry *a, const np700_registry *b,
                        const uint32_t *tenant_map, const char *only, uint64_t now) {
    unsigned long compared = 0;
    for (size_t i = 0; i < N_CALLERS; i++) {
        for (size_t j = 0; j < N_DIALED; j++) {
            for (np700_media m = NP700_MEDIA_VOICE; m <= NP700_MEDIA_SMS; m++) {
                np700_decision da = ct_route(a, CALLERS[i], DIALED[j], m, now);
                np700_decision db = ct_route(b, CALLERS[i], DIALED[j], m, now);
                int same;
                if (only != NULL && strncmp(DIALED[j], only, strlen(only)) != 0) {
                    CHECK_MSG(db.kind != NP700_DECISION_ROUTE,
                              "%s -> %s routes, but %s was not handed over", CALLERS[i],
                              DIALED[j], DIALED[j]);
                    continue;
                }
                same = da.kind == db.kind && da.reject == db.reject &&
                       da.announce == db.announce && da.sip_status == db.sip_status &&
                       da.digits_needed == db.digits_needed;
                if (da.kind == NP700_DECISION_ROUTE) {
                    same = same && da.mode == db.mode && da.record == db.record &&
                           da.binding_id == db.binding_id && tenant_map[da.tenant] == db.tenant &&
                           da.target_count == db.target_count &&
                           strcmp(da.display, db.display) == 0;
                    for (uint32_t t = 0; same && t < da.target_count; t++) {
                        same = strcmp(da.targets[t], db.targets[t]) == 0;
                    }
                }
                CHECK_MSG(same,
                          "%s -> %s (%u): %s (reject %u, announce %u, tenant %u) before, "
                          "%s (reject %u, announce %u, tenant %u) after",
                          CALLERS[i], DIALED[j], (unsigned)m, ct_kind_name(da.kind),
                          (unsigned)da.reject, (unsigned)da.announce, (unsigned)da.tenant,
                          ct_kind_name(db.kind), (unsigned)db.reject, (unsigned)db.announce,
                          (unsigned)db.tenant);
                compared++;
            }
        }
    }
    CHECK_MSG(compared >= 20, "only %lu decisions compared", compared);
}

/* The fixture plus a released binding (its parties in quarantine on 700100000010002) and a
 * suspended one of tenant B. */
static int fx_handover(struct fx *f) {
    np700_bind_request r;
    np700_binding_info b;
    if (!fx_init(f, 0)) {
        return 0;
    }
    r = fx_axb(f->ta, "13800000002", "700100000010002", "13900000002");
    EXPECT_OK(np700_registry_bind(f->reg, &r, T0, &b));
    EXPECT_OK(np700_registry_unbind(f->reg, f->ta, b.id, T0 + 10));
    r = fx_axb(f->tb, "13700000002", "700100000050002", "13600000002");
    EXPECT_OK(np700_registry_bind(f->reg, &r, T0, &b));
    EXPECT_OK(np700_registry_suspend(f->reg, f->tb, b.id, T0 + 10));
    return 1;
}

/* ---- export ------------------------------------------------------------------------------ */

static void test_export_buffer(void) {
    struct fx f;
    char *doc = (char *)malloc(DOC_ROOM);
    char small[64];
    size_t needed = 0, size = 0, needed_untouched;

    if (doc == NULL || !fx_handover(&f)) {
        free(doc);
        return;
    }
    /* (NULL, 0): the size only. */
    EXPECT_STATUS(np700_registry_export(f.reg, 0, NOW, NULL, 0, &size),
                  NP700_ERR_BUFFER_TOO_SMALL);
    CHECK(size > 200 && size < DOC_ROOM);
    CHECK(strncmp(ct_last_error(), "np700_registry_export:", 22) == 0);
    /* One byte short: untouched, the size told again. */
    memset(doc, SENTINEL, DOC_ROOM);
    EXPECT_STATUS(np700_registry_export(f.reg, 0, NOW, doc, size - 1, &needed),
                  NP700_ERR_BUFFER_TOO_SMALL);
    CHECK(ct_untouched(doc, DOC_ROOM));
    CHECK_U64(needed, size);
    memset(small, SENTINEL, sizeof small);
    EXPECT_STATUS(np700_registry_export(f.reg, 0, NOW, small, sizeof small, NULL),
                  NP700_ERR_BUFFER_TOO_SMALL);
    CHECK(ct_untouched(small, sizeof small));
    /* Exactly the size: the document and its NUL. */
    needed = 0;
    EXPECT_OK(np700_registry_export(f.reg, 0, NOW, doc, size, &needed));
    CHECK_U64(needed, size);
    CHECK_U64(strlen(doc), size - 1);
    CHECK(strncmp(doc, "{\"format\":\"np700-handover\",\"version\":1,", 39) == 0);
    CHECK(strstr(doc, "\"scope\":\"Platform\"") != NULL);
    CHECK(strstr(doc, "Swift Parcel") != NULL && strstr(doc, "Hungry Panda") != NULL);
    /* Nothing changed: the same document again, without `needed`. */
    memset(doc, SENTINEL, DOC_ROOM);
    EXPECT_OK(np700_registry_export(f.reg, 0, NOW, doc, DOC_ROOM, NULL));
    CHECK_U64(strlen(doc), size - 1);
    /* One tenant: its own name only; an unknown tenant is refused. */
    export_doc(f.reg, f.tb, NOW, doc);
    CHECK(strstr(doc, "Hungry Panda") != NULL && strstr(doc, "Swift Parcel") == NULL);
    CHECK(strstr(doc, "{\"Tenant\":2}") != NULL);
    FILL(needed_untouched);
    memset(doc, SENTINEL, DOC_ROOM);
    EXPECT_STATUS(np700_registry_export(f.reg, 99, NOW, doc, DOC_ROOM, &needed_untouched),
                  NP700_ERR_UNKNOWN_TENANT);
    CHECK(ct_untouched(doc, DOC_ROOM));
    CHECK_UNTOUCHED(needed_untouched);
    fx_free(&f);
    free(doc);
}

/* ---- import ------------------------------------------------------------------------------ */

static void test_platform_hand_over(void) {
    struct fx f;
    char *doc = (char *)malloc(DOC_ROOM), *again = (char *)malloc(DOC_ROOM);
    np700_registry *to;
    np700_import_report rep, untouched;
    np700_tenant_mapping same_ids[2];
    np700_tenant_info t;
    uint32_t identity[4] = {0, 1, 2, 3};

    if (doc == NULL || again == NULL || !fx_handover(&f)) {
        free(doc);
        free(again);
        return;
    }
    export_doc(f.reg, 0, NOW, doc);
    to = new_registry(f.cfg);
    FILL(rep);
    EXPECT_OK(import_doc(to, doc, NULL, 0, NP700_IMPORT_KEEP_IDS, &rep));
    CHECK_U64(rep.tenants, 2);
    CHECK_U64(rep.tenants_mapped, 0);
    CHECK_U64(rep.tenants_registered, 2);
    CHECK_U64(rep.first_tenant, 1);
    CHECK_U64(rep.blocks_licensed, 1);
    CHECK_U64(rep.numbers, 3);
    CHECK_U64(rep.bindings, 3);
    CHECK_U64(rep.quarantines, 2); /* the released binding's two parties */
    CHECK_U64(rep.binding_ids, 4);
    CHECK_U64(rep.first_binding, 1);
    CHECK(same_stats(stats(f.reg), stats(to)));
    EXPECT_OK(np700_registry_tenant(to, 2, &t));
    CHECK_STR(t.name, "Hungry Panda");
    same_routes(f.reg, to, identity, NULL, NOW);
    /* Later too: the quarantine ends at the same time in both. */
    same_routes(f.reg, to, identity, NULL, T0 + 10 + FX_BINDING_QUARANTINE + 1);
    /* The importer exports the same document. */
    export_doc(to, 0, NOW, again);
    CHECK_MSG(strcmp(doc, again) == 0, "re-exported document differs:\n%s\n%s", doc, again);

    /* Again into the same registry: refused whole, nothing changes. */
    same_ids[0] = pair(1, 1);
    same_ids[1] = pair(2, 2);
    FILL(untouched);
    EXPECT_STATUS(import_doc(to, doc, NULL, 0, NP700_IMPORT_RENUMBER, &untouched),
                  NP700_ERR_HELD_BY_ANOTHER_TENANT);
    EXPECT_STATUS(import_doc(to, doc, same_ids, 2, NP700_IMPORT_RENUMBER, &untouched),
                  NP700_ERR_ENTRY_IN_USE);
    CHECK_UNTOUCHED(untouched);
    CHECK(same_stats(stats(f.reg), stats(to)));
    EXPECT_OK(np700_registry_free(to));
    fx_free(&f);
    free(doc);
    free(again);
}

static void test_tenant_hand_over(void) {
    struct fx f;
    char *doc = (char *)malloc(DOC_ROOM);
    np700_registry *to, *mapped, *busy;
    np700_import_report rep, untouched;
    np700_tenant_mapping m;
    np700_binding_info b;
    np700_bind_request r;
    np700_decision d;
    uint32_t carrier = 0, other = 0;
    uint32_t onto_1[4] = {0, 0, 1, 0};

    if (doc == NULL || !fx_handover(&f)) {
        free(doc);
        return;
    }
    /* Tenant B exits: its bindings go to a new registry, where it is tenant 1. */
    export_doc(f.reg, f.tb, NOW, doc);
    to = new_registry(f.cfg);
    EXPECT_OK(import_doc(to, doc, NULL, 0, NP700_IMPORT_KEEP_IDS, &rep));
    CHECK_U64(rep.tenants, 1);
    CHECK_U64(rep.tenants_registered, 1);
    CHECK_U64(rep.first_tenant, 1);
    CHECK_U64(rep.numbers, 1);
    CHECK_U64(rep.bindings, 2);
    CHECK_U64(rep.quarantines, 0);
    CHECK_U64(rep.first_binding, f.bb);
    same_routes(f.reg, to, onto_1, "70010000005", NOW);
    /* Tenant A's numbers are not there: licensed (the block came along), held by nobody. */
    d = ct_route(to, FX_A_CUSTOMER, FX_A_X, NP700_MEDIA_VOICE, NOW);
    CHECK_MSG(d.kind == NP700_DECISION_REJECT && d.reject == NP700_REJECT_UNASSIGNED,
              "tenant A's X after B's hand-over: %s (reject %u)", ct_kind_name(d.kind),
              (unsigned)d.reject);

    /* Onto a tenant the carrier already has. */
    mapped = new_registry(f.cfg);
    EXPECT_OK(np700_registry_register_tenant(mapped, STR("Panda at the carrier"), NULL, 0, 0, T0,
                                             &carrier));
    m = pair(f.tb, carrier);
    EXPECT_OK(import_doc(mapped, doc, &m, 1, NP700_IMPORT_KEEP_IDS, &rep));
    CHECK_U64(rep.tenants_mapped, 1);
    CHECK_U64(rep.tenants_registered, 0);
    CHECK_U64(rep.first_tenant, 0);
    same_routes(f.reg, mapped, onto_1, "70010000005", NOW);

    /* Into a registry that has issued binding ids: kept ids are taken; renumbered they follow. */
    busy = new_registry(f.cfg);
    EXPECT_OK(np700_registry_license_block(busy, STR("70030000000"), 1, T0));
    EXPECT_OK(np700_registry_register_tenant(busy, STR("Other"), NULL, 0, 0, T0, &other));
    EXPECT_OK(np700_registry_assign_number(busy, other, STR("70030000000"), NULL, 0, T0));
    for (int i = 0; i < 5; i++) {
        char a[16], b_party[16];
        snprintf(a, sizeof a, "1380000010%d", i);
        snprintf(b_party, sizeof b_party, "1390000010%d", i);
        r = fx_axb(other, a, "700300000000001", b_party);
        EXPECT_OK(np700_registry_bind(busy, &r, T0, &b));
    }
    FILL(untouched);
    EXPECT_STATUS(import_doc(busy, doc, NULL, 0, NP700_IMPORT_KEEP_IDS, &untouched),
                  NP700_ERR_BINDING_ID_TAKEN);
    CHECK_UNTOUCHED(untouched);
    EXPECT_OK(import_doc(busy, doc, NULL, 0, NP700_IMPORT_RENUMBER, &rep));
    CHECK_U64(rep.first_tenant, 2);
    CHECK_U64(rep.binding_ids, 2);
    CHECK_U64(rep.first_binding, 6);
    EXPECT_OK(np700_registry_binding(busy, 2, 6, &b));
    CHECK_STR(b.x, FX_B_X);
    d = ct_route(busy, FX_B_CUSTOMER, FX_B_X, NP700_MEDIA_VOICE, NOW);
    CHECK_MSG(d.kind == NP700_DECISION_ROUTE && d.binding_id == 6 && d.tenant == 2 &&
                  strcmp(d.targets[0], "+86" FX_B_PARTY) == 0,
              "renumbered: %s binding %llu tenant %u", ct_kind_name(d.kind),
              (unsigned long long)d.binding_id, (unsigned)d.tenant);

    EXPECT_OK(np700_registry_free(busy));
    EXPECT_OK(np700_registry_free(mapped));
    EXPECT_OK(np700_registry_free(to));
    fx_free(&f);
    free(doc);
}

/* Every refusal of an import: its status, the report untouched, the target unchanged. */
static void test_import_refusals(void) {
    struct fx f;
    char *doc = (char *)malloc(DOC_ROOM), *platform = (char *)malloc(DOC_ROOM);
    char literal[2048];
    np700_registry *to;
    np700_import_report rep, untouched;
    np700_tenant_mapping map[2];
    np700_stats before;
    uint32_t carrier = 0, other = 0;
    struct {
        const char *what;
        const char *json;
        np700_status expect;
    } cases[4];

    if (doc == NULL || platform == NULL || !fx_handover(&f)) {
        free(doc);
        free(platform);
        return;
    }
    export_doc(f.reg, f.tb, NOW, doc);
    export_doc(f.reg, 0, NOW, platform);
    to = new_registry(f.cfg);
    EXPECT_OK(np700_registry_register_tenant(to, STR("Carrier tenant"), NULL, 0, 0, T0, &carrier));
    before = stats(to);
    memset(cases, 0, sizeof cases);
    cases[0].what = "not JSON";
    cases[0].json = "{\"format\":";
    cases[0].expect = NP700_ERR_HANDOVER_UNREADABLE;
    cases[1].what = "another format";
    cases[1].json = "{\"format\":\"np700-journal\",\"version\":1}";
    cases[1].expect = NP700_ERR_NOT_A_HANDOVER;
    cases[2].what = "version 2";
    cases[2].json = "{\"format\":\"np700-handover\",\"version\":2,\"tenants\":[]}";
    cases[2].expect = NP700_ERR_HANDOVER_VERSION;
    cases[3].what = "fields missing";
    cases[3].json = "{\"format\":\"np700-handover\",\"version\":1}";
    cases[3].expect = NP700_ERR_HANDOVER_UNREADABLE;
    for (int i = 0; i < 4; i++) {
        FILL(untouched);
        EXPECT_STATUS(import_doc(to, cases[i].json, NULL, 0, NP700_IMPORT_KEEP_IDS, &untouched),
                      cases[i].expect);
        CHECK_MSG(ct_untouched(&untouched, sizeof untouched), "%s: report written",
                  cases[i].what);
    }
    /* Inconsistent: a binding on a number its tenant does not hold. */
    ct_literal_handover(literal, sizeof literal, "70040000000", 1, "70040000000", 1);
    CHECK(strstr(literal, "\"Held\":{\"tenant\":1") != NULL);
    memcpy(strstr(literal, "\"Held\":{\"tenant\":1") + 17, "7", 1);
    FILL(untouched);
    EXPECT_STATUS(import_doc(to, literal, NULL, 0, NP700_IMPORT_KEEP_IDS, &untouched),
                  NP700_ERR_HANDOVER_INCONSISTENT);
    CHECK_UNTOUCHED(untouched);
    CHECK(strstr(ct_last_error(), "numbers[0]") != NULL);

    /* The tenant mapping. */
    map[0] = pair(9, carrier);
    EXPECT_STATUS(import_doc(to, doc, map, 1, NP700_IMPORT_KEEP_IDS, &untouched),
                  NP700_ERR_MAPPING_FROM_UNKNOWN);
    map[0] = pair(f.tb, 99);
    EXPECT_STATUS(import_doc(to, doc, map, 1, NP700_IMPORT_KEEP_IDS, &untouched),
                  NP700_ERR_MAPPING_TO_UNKNOWN);
    map[0] = pair(f.ta, carrier);
    map[1] = pair(f.tb, carrier);
    EXPECT_STATUS(import_doc(to, platform, map, 2, NP700_IMPORT_KEEP_IDS, &untouched),
                  NP700_ERR_MAPPING_NOT_ONE_TO_ONE);
    map[0] = pair(f.tb, carrier);
    map[1] = pair(f.tb, carrier);
    EXPECT_STATUS(import_doc(to, doc, map, 2, NP700_IMPORT_KEEP_IDS, &untouched),
                  NP700_ERR_MAPPING_NOT_ONE_TO_ONE);
    EXPECT_STATUS(import_doc(to, doc, NULL, 1, NP700_IMPORT_KEEP_IDS, &untouched), NP700_ERR_NULL);
    EXPECT_STATUS(import_doc(to, doc, NULL, 0, 2, &untouched), NP700_ERR_BAD_ENUM);
    EXPECT_OK(np700_registry_set_tenant_status(to, carrier, NP700_TENANT_SUSPENDED, T0));
    before = stats(to);
    map[0] = pair(f.tb, carrier);
    EXPECT_STATUS(import_doc(to, doc, map, 1, NP700_IMPORT_KEEP_IDS, &untouched),
                  NP700_ERR_TENANT_STATUS_DIFFERS);
    CHECK_UNTOUCHED(untouched);
    CHECK(same_stats(before, stats(to)));
    EXPECT_OK(np700_registry_free(to));

    /* The target's numbers: not licensed (its block overlaps the exported one), held by
     * another tenant, in quarantine after another tenant. */
    to = new_registry(f.cfg);
    EXPECT_OK(np700_registry_license_block(to, STR("70010000000"), 5, T0));
    EXPECT_STATUS(import_doc(to, doc, NULL, 0, NP700_IMPORT_KEEP_IDS, &untouched),
                  NP700_ERR_NOT_LICENSED);
    EXPECT_OK(np700_registry_free(to));
    to = new_registry(f.cfg);
    EXPECT_OK(np700_registry_license_block(to, STR("70010000000"), 10, T0));
    EXPECT_OK(np700_registry_register_tenant(to, STR("Other"), NULL, 0, 0, T0, &other));
    EXPECT_OK(np700_registry_assign_number(to, other, STR("70010000005"), NULL, 0, T0));
    before = stats(to);
    EXPECT_STATUS(import_doc(to, doc, NULL, 0, NP700_IMPORT_KEEP_IDS, &untouched),
                  NP700_ERR_HELD_BY_ANOTHER_TENANT);
    EXPECT_OK(np700_registry_reclaim_number(to, other, STR("70010000005"), T0 + 1));
    before = stats(to);
    EXPECT_STATUS(import_doc(to, doc, NULL, 0, NP700_IMPORT_KEEP_IDS, &untouched),
                  NP700_ERR_NUMBER_IN_QUARANTINE);
    CHECK_UNTOUCHED(untouched);
    CHECK(same_stats(before, stats(to)));
    EXPECT_OK(np700_registry_free(to));

    /* Binding ids run out: a binding kept at 2^48 - 1 leaves nothing to renumber into. */
    to = new_registry(f.cfg);
    ct_literal_handover(literal, sizeof literal, "70040000000", 1, "70040000000",
                        UINT64_C(281474976710655));
    EXPECT_OK(import_doc(to, literal, NULL, 0, NP700_IMPORT_KEEP_IDS, &rep));
    CHECK_U64(rep.first_binding, UINT64_C(281474976710655));
    ct_literal_handover(literal, sizeof literal, "70050000000", 1, "70050000000", 1);
    before = stats(to);
    EXPECT_STATUS(import_doc(to, literal, NULL, 0, NP700_IMPORT_RENUMBER, &untouched),
                  NP700_ERR_BINDING_IDS_EXHAUSTED);
    CHECK_UNTOUCHED(untouched);
    CHECK(same_stats(before, stats(to)));
    EXPECT_OK(np700_registry_free(to));

    fx_free(&f);
    free(doc);
    free(platform);
}

/* ---- legacy migration -------------------------------------------------------------------- */

#define LEGACY(fields) "{" fields ", \"expires_at\": " DAY_LATER ", \"consent_ref\": \"c\"}\n"

static void test_legacy(void) {
    struct fx f;
    np700_legacy_options o;
    np700_legacy_mapping table[3];
    np700_legacy_summary sum, sum_untouched;
    np700_legacy_line lines[16], lines_untouched[16];
    np700_policy sms_only = np700_policy_default();
    np700_stats before;
    np700_decision d;
    size_t needed = 0, needed_untouched;
    uint32_t empty = 0;
    static const char input[] =
        /* 1: listed: the first usage number of 70010000002 */
        LEGACY("\"middle\": \"17012345678\", \"mode\": \"AXB\", \"a\": \"13800000031\", "
               "\"b\": \"13900000031\"")
        "\n" /* 2: blank */
        /* 3: unlisted: picked automatically */
        LEGACY("\"middle\": \"95013001\", \"mode\": \"axn\", \"a\": \"13800000032\", "
               "\"n\": \"13900000032\"")
        /* 4 */
        "{\"middle\": \"17012345678\", \"mode\": \"AXB\", \"a\": \"13800000033\", \"b\": "
        "\"13900000033\", \"expires_at\": " DAY_LATER "}\n"
        /* 5 */
        "{\"middle\": \"17012345678\", \"mode\": \"AXB\", \"a\": \"13800000034\", \"b\": "
        "\"13900000034\", \"expires_at\": 1767225600, \"consent_ref\": \"c\"}\n"
        /* 6 */
        LEGACY("\"middle\": \"17012345678\", \"mode\": \"AXZ\", \"a\": \"13800000035\", "
               "\"b\": \"13900000035\"")
        /* 7 */
        "not json\r\n"
        /* 8 */
        LEGACY("\"middle\": \"17012345678\", \"mode\": \"AXB\", \"a\": \"abc\", "
               "\"b\": \"13900000036\"")
        /* 9 */
        LEGACY("\"middle\": \"17012345678\", \"mode\": \"AXB\", \"a\": \"13800000037\"")
        /* 10: mapped onto tenant A's X, which A already sees */
        LEGACY("\"middle\": \"17012345670\", \"mode\": \"AXB\", \"a\": \"" FX_A_PARTY "\", "
               "\"b\": \"13900000038\"")
        /* 11: A and B the same */
        LEGACY("\"middle\": \"17012345678\", \"mode\": \"AXB\", \"a\": \"13800000039\", "
               "\"b\": \"+8613800000039\"")
        /* 12: mapped onto tenant B's X: not tenant A's */
        LEGACY("\"middle\": \"17012345671\", \"mode\": \"AXB\", \"a\": \"13800000040\", "
               "\"b\": \"13900000040\"");
    static const struct {
        uint64_t line;
        np700_legacy_result result;
        const char *why; /* a part of it */
    } want[] = {
        {1, NP700_LEGACY_MIGRATED, ""},
        {3, NP700_LEGACY_MIGRATED, ""},
        {4, NP700_LEGACY_MISSING_CONSENT, "consent"},
        {5, NP700_LEGACY_EXPIRED_ALREADY, "expired"},
        {6, NP700_LEGACY_UNKNOWN_MODE, "AXZ"},
        {7, NP700_LEGACY_MALFORMED_LINE, "malformed line"},
        {8, NP700_LEGACY_MALFORMED_NUMBER, "malformed number in a"},
        {9, NP700_LEGACY_MISSING_FIELD, "missing field b"},
        {10, NP700_LEGACY_CONFLICT, "conflict"},
        {11, NP700_LEGACY_REFUSED, "refused"},
        {12, NP700_LEGACY_REFUSED, "refused"},
    };
    const size_t n_want = sizeof want / sizeof want[0];

    if (!fx_init(&f, 0)) {
        return;
    }
    memset(&o, 0, sizeof o);
    table[0].legacy = ct_str("+86 170-1234-5678");
    table[0].target = ct_str("70010000002");
    table[1].legacy = ct_str("17012345670");
    table[1].target = ct_str(FX_A_X);
    table[2].legacy = ct_str("17012345671");
    table[2].target = ct_str(FX_B_X);
    o.table = table;
    o.table_len = 3;

    /* Too small an array: nothing migrated, the count told. */
    before = stats(f.reg);
    FILL(sum_untouched);
    memset(lines_untouched, SENTINEL, sizeof lines_untouched);
    EXPECT_STATUS(np700_registry_migrate_legacy(f.reg, f.ta, &o, input, strlen(input), T0 + 1,
                                                &sum_untouched, lines_untouched, n_want - 1,
                                                &needed),
                  NP700_ERR_BUFFER_TOO_SMALL);
    CHECK_U64(needed, n_want);
    CHECK_UNTOUCHED(sum_untouched);
    CHECK_UNTOUCHED(lines_untouched);
    CHECK(same_stats(before, stats(f.reg)));
    /* An unknown tenant. */
    FILL(needed_untouched);
    EXPECT_STATUS(np700_registry_migrate_legacy(f.reg, 99, &o, input, strlen(input), T0 + 1,
                                                &sum_untouched, lines_untouched, 16,
                                                &needed_untouched),
                  NP700_ERR_UNKNOWN_TENANT);
    CHECK_UNTOUCHED(needed_untouched);
    CHECK_UNTOUCHED(sum_untouched);

    /* The migration: an outcome per non-blank line. */
    memset(lines, 0, sizeof lines);
    needed = 0;
    EXPECT_OK(np700_registry_migrate_legacy(f.reg, f.ta, &o, input, strlen(input), T0 + 1, &sum,
                                            lines, 16, &needed));
    CHECK_U64(needed, n_want);
    CHECK_U64(sum.lines, n_want);
    CHECK_U64(sum.migrated, 2);
    CHECK_U64(sum.refused, n_want - 2);
    CHECK_U64(sum.by_result[NP700_LEGACY_MIGRATED], 2);
    CHECK_U64(sum.by_result[NP700_LEGACY_REFUSED], 2);
    CHECK_U64(sum.by_result[NP700_LEGACY_CONFLICT], 1);
    CHECK_U64(sum.by_result[NP700_LEGACY_UNMAPPED], 0);
    for (size_t i = 0; i < n_want; i++) {
        CHECK_U64(lines[i].line, want[i].line);
        CHECK_MSG(lines[i].result == want[i].result, "line %llu: result %u (%s), expected %u",
                  (unsigned long long)lines[i].line, (unsigned)lines[i].result, lines[i].why,
                  (unsigned)want[i].result);
        CHECK_MSG(strstr(lines[i].why, want[i].why) != NULL, "line %llu: why \"%s\"",
                  (unsigned long long)lines[i].line, lines[i].why);
        if (want[i].result != NP700_LEGACY_MIGRATED) {
            CHECK_STR(lines[i].x, "");
            CHECK_U64(lines[i].binding, 0);
        }
    }
    CHECK_STR(lines[0].x, "700100000020000");
    CHECK_STR(lines[0].y, "");
    CHECK_STR(lines[0].why, "");
    CHECK(lines[0].binding > f.bb && lines[1].binding == lines[0].binding + 1);
    CHECK(strlen(lines[1].x) == 15);
    d = ct_route(f.reg, "13900000031", lines[0].x, NP700_MEDIA_VOICE, T0 + 2);
    CHECK_MSG(d.kind == NP700_DECISION_ROUTE && strcmp(d.targets[0], "+8613800000031") == 0 &&
                  d.binding_id == lines[0].binding && d.tenant == f.ta,
              "a migrated binding: %s", ct_kind_name(d.kind));
    /* Nothing reached tenant B's number. */
    d = ct_route(f.reg, "13900000040", FX_B_X, NP700_MEDIA_VOICE, T0 + 2);
    CHECK(d.kind == NP700_DECISION_REJECT);
    CHECK_U64(stats(f.reg).bindings, 4);

    /* Unlisted numbers refused; the summary alone; a policy and a strict tag. */
    o.refuse_unlisted = 1;
    o.table_len = 1;
    EXPECT_OK(np700_registry_migrate_legacy(
        f.reg, f.ta, &o,
        STR(LEGACY("\"middle\": \"17087654321\", \"mode\": \"AXB\", \"a\": \"13800000041\", "
                   "\"b\": \"13900000041\"")),
        T0 + 1, &sum, NULL, 0, NULL));
    CHECK_U64(sum.by_result[NP700_LEGACY_UNMAPPED], 1);
    CHECK_U64(sum.migrated, 0);
    sms_only.media = NP700_MEDIA_SMS;
    o.refuse_unlisted = 0;
    o.table_len = 0;
    o.tag = ct_str("beijing");
    o.tag_strict = 1;
    o.policy = &sms_only;
    EXPECT_OK(np700_registry_migrate_legacy(
        f.reg, f.ta, &o,
        STR(LEGACY("\"middle\": \"17087654321\", \"mode\": \"AXB\", \"a\": \"13800000042\", "
                   "\"b\": \"13900000042\"")),
        T0 + 1, &sum, lines, 1, &needed));
    CHECK_U64(sum.migrated, 1);
    CHECK_U64(needed, 1);
    CHECK(strncmp(lines[0].x, "70010000001", 11) == 0); /* the number tagged "beijing" */
    d = ct_route(f.reg, "13900000042", lines[0].x, NP700_MEDIA_VOICE, T0 + 2);
    CHECK_MSG(d.kind == NP700_DECISION_REJECT && d.reject == NP700_REJECT_MEDIA_NOT_PERMITTED,
              "voice through an SMS-only migrated binding: %s", ct_kind_name(d.kind));
    d = ct_route(f.reg, "13900000042", lines[0].x, NP700_MEDIA_SMS, T0 + 2);
    CHECK(d.kind == NP700_DECISION_ROUTE);

    /* Defaults (options NULL); a tenant without numbers has none left; empty input. */
    EXPECT_OK(np700_registry_migrate_legacy(
        f.reg, f.ta, NULL,
        STR(LEGACY("\"middle\": \"17087654322\", \"mode\": \"AXB\", \"a\": \"13800000043\", "
                   "\"b\": \"13900000043\"")),
        T0 + 1, &sum, NULL, 0, NULL));
    CHECK_U64(sum.migrated, 1);
    EXPECT_OK(np700_registry_register_tenant(f.reg, STR("No numbers"), NULL, 0, 0, T0, &empty));
    EXPECT_OK(np700_registry_migrate_legacy(
        f.reg, empty, NULL,
        STR(LEGACY("\"middle\": \"17087654323\", \"mode\": \"AXB\", \"a\": \"13800000044\", "
                   "\"b\": \"13900000044\"")),
        T0 + 1, &sum, lines, 16, NULL));
    CHECK_U64(sum.by_result[NP700_LEGACY_NO_NUMBER_LEFT], 1);
    CHECK_U64(lines[0].result, NP700_LEGACY_NO_NUMBER_LEFT);
    EXPECT_OK(np700_registry_migrate_legacy(f.reg, f.ta, NULL, NULL, 0, T0 + 1, &sum, NULL, 0,
                                            &needed));
    CHECK_U64(sum.lines, 0);
    CHECK_U64(needed, 0);
    fx_free(&f);
}

void run_handover(void) {
    printf("== hand-over\n");
    test_export_buffer();
    test_platform_hand_over();
    test_tenant_hand_over();
    test_import_refusals();
    test_legacy();
}
