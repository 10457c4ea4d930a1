/*
 * np700 quickstart in C: a registry, a tenant, its numbers, bindings of three modes, calls
 * routed as a switch would ask, a refusal explained, and everything freed.
 *
 * Build against an installed np700 (see README.md, "Using np700 from C"):
 *   cc -std=c11 -Wall -Wextra -pedantic quickstart.c $(pkg-config --cflags --libs np700)
 * It is also valid C++ (the CI builds it both ways).
 */
#include <np700.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 2026-01-01T08:00:00+08:00, the simulated "now" (np700 reads no clock). */
#define T0 UINT64_C(1767225600)

/* A string literal as the (pointer, length) arguments np700 takes. */
#define STR(s) (s), (sizeof(s) - 1)

/* A NUL-terminated string as an np700_str field (borrowed: np700 copies what it keeps). */
static np700_str np(const char *s) {
    np700_str r;
    r.ptr = s;
    r.len = s == NULL ? 0 : strlen(s);
    return r;
}

/* Stops with np700's own explanation when a call that must succeed does not. */
static void check(np700_status status, const char *what) {
    if (status == NP700_OK) {
        return;
    }
    char message[512];
    size_t needed = 0;
    if (np700_last_error(message, sizeof message, &needed) != NP700_OK) {
        message[0] = '\0';
    }
    fprintf(stderr, "%s failed: %s (%s)\n", what, np700_status_str(status), message);
    exit(1);
}

/* Prints a decision the way a switch operator would read it. */
static void print_decision(const char *who, const char *caller, const char *dialed,
                           const np700_decision *d) {
    printf("%-12s %s dials %s -> ", who, caller, dialed);
    switch (d->kind) {
    case NP700_DECISION_ROUTE:
        printf("ROUTE to");
        for (uint32_t i = 0; i < d->target_count; i++) {
            printf("%s%s", i == 0 ? " " : " then ", d->targets[i]);
        }
        printf(" shown %s (binding %llu, tenant %u%s)\n", d->display,
               (unsigned long long)d->binding_id, (unsigned)d->tenant,
               d->record ? ", recorded" : "");
        break;
    case NP700_DECISION_COLLECT_DIGITS:
        printf("COLLECT %u more digits\n", (unsigned)d->digits_needed);
        break;
    case NP700_DECISION_ANNOUNCE:
        printf("ANNOUNCE \"%s\"\n", np700_announce_reason_str(d->announce));
        break;
    case NP700_DECISION_REJECT:
        printf("REJECT %s (SIP %u)\n", np700_reject_reason_str(d->reject),
               (unsigned)d->sip_status);
        break;
    default:
        printf("?\n");
    }
}

static void call(const np700_registry *registry, const char *who, const char *caller,
                 const char *dialed, uint64_t now) {
    np700_decision d;
    check(np700_route(registry, caller, strlen(caller), dialed, strlen(dialed),
                      NP700_MEDIA_VOICE, now, &d),
          "np700_route");
    print_decision(who, caller, dialed, &d);
}

int main(void) {
    /* The header and the library loaded must agree. */
    if (np700_version_number() != NP700_VERSION_NUMBER) {
        fprintf(stderr, "header %d but library %s\n", NP700_VERSION_NUMBER, np700_version());
        return 1;
    }
    printf("np700 %s\n", np700_version());

    /* A registry with a 1-hour binding quarantine, sized for 10,000 bindings. */
    np700_config *config = NULL;
    check(np700_config_new(&config), "np700_config_new");
    check(np700_config_set_binding_quarantine(config, 3600), "set quarantine");
    check(np700_config_set_capacity(config, 10000), "set capacity");
    np700_registry *registry = NULL;
    check(np700_registry_new(config, &registry), "np700_registry_new");
    check(np700_config_free(config), "np700_config_free");

    /* The regulator licensed ten management numbers; a parcel company gets two of them. */
    check(np700_registry_license_block(registry, STR("70010000000"), 10, T0), "license");
    uint32_t parcel = 0, food = 0;
    np700_scenario delivery = NP700_SCENARIO_DELIVERY;
    check(np700_registry_register_tenant(registry, STR("Swift Parcel"), &delivery, 1, 0, T0,
                                         &parcel),
          "register Swift Parcel");
    check(np700_registry_register_tenant(registry, STR("Hungry Panda"), NULL, 0, 0, T0, &food),
          "register Hungry Panda");
    np700_str beijing[] = {np("beijing")};
    check(np700_registry_assign_number(registry, parcel, STR("70010000001"), beijing, 1, T0),
          "assign 70010000001");
    check(np700_registry_assign_number(registry, parcel, STR("70010000002"), NULL, 0, T0),
          "assign 70010000002");

    /* AXB: courier and customer reach each other through a given X. */
    np700_bind_request axb;
    memset(&axb, 0, sizeof axb);
    axb.tenant = parcel;
    axb.mode = NP700_MODE_AXB;
    axb.a = np("13800000001");
    axb.b = np("+86 139 0000 0001");
    axb.x.given = np("700100000010001");
    axb.expires_at = T0 + 4 * 3600;
    axb.policy = np700_policy_default();
    axb.order_id = np("order-1");
    axb.consent_ref = np("consent/app-v3");
    np700_binding_info courier;
    check(np700_registry_bind(registry, &axb, T0, &courier), "bind AXB");
    printf("AXB  binding %llu on %s\n", (unsigned long long)courier.id, courier.x);

    /* AXN: a shop's hotline, number picked automatically among "beijing" numbers, recorded. */
    np700_bind_request axn = axb;
    axn.mode = NP700_MODE_AXN;
    axn.a = np("13700000001");
    axn.b = np("13700000002"); /* N: where the shop's own calls to X go */
    axn.x.given = np(NULL);
    axn.x.tag = np("beijing");
    axn.x.tag_strict = 1;
    axn.policy.record = 1;
    np700_binding_info hotline;
    check(np700_registry_bind(registry, &axn, T0, &hotline), "bind AXN");
    printf("AXN  binding %llu on %s\n", (unsigned long long)hotline.id, hotline.x);

    /* GXB: three staff members and a customer, voice only. */
    np700_str staff[] = {np("13500000001"), np("13500000002"), np("13500000003")};
    np700_bind_request gxb = axb;
    gxb.mode = NP700_MODE_GXB;
    gxb.a = np(NULL);
    gxb.group = staff;
    gxb.group_len = 3;
    gxb.b = np("13900000003");
    gxb.x.given = np(NULL);
    gxb.policy.media = NP700_MEDIA_VOICE;
    np700_binding_info team;
    check(np700_registry_bind(registry, &gxb, T0, &team), "bind GXB");
    printf("GXB  binding %llu on %s\n", (unsigned long long)team.id, team.x);

    /* Calls, as a switch asks about them. */
    uint64_t now = T0 + 60;
    call(registry, "customer", "13900000001", "700100000010001", now);
    call(registry, "courier", "+8613800000001", "700 1000 0001 0001", now);
    call(registry, "stranger", "18600000009", "700100000010001", now);
    call(registry, "stranger", "18600000009", hotline.x, now);
    call(registry, "customer", "13900000003", team.x, now);
    call(registry, "someone", "18600000009", "70010000001", now);
    call(registry, "someone", "18600000009", "13912345678", now);

    /* No mixing of tenants: Hungry Panda cannot take Swift Parcel's number. */
    np700_status refused =
        np700_registry_assign_number(registry, food, STR("70010000001"), NULL, 0, now);
    char why[256];
    size_t needed = 0;
    if (np700_last_error(why, sizeof why, &needed) != NP700_OK) {
        why[0] = '\0';
    }
    printf("Hungry Panda assigns 70010000001 -> %s\n  %s\n", np700_status_str(refused), why);

    /* The parcel is delivered: unbind. The old customer now hears the announcement. */
    check(np700_registry_unbind(registry, parcel, courier.id, now), "unbind");
    call(registry, "customer", "13900000001", "700100000010001", now + 60);

    np700_stats stats;
    check(np700_registry_stats(registry, &stats), "stats");
    printf("%llu tenants, %llu bindings live, index generation %llu\n",
           (unsigned long long)stats.tenants, (unsigned long long)stats.bindings,
           (unsigned long long)stats.index_generation);

    check(np700_registry_free(registry), "np700_registry_free");
    /* A freed handle is detected, not dereferenced. */
    printf("free again -> %s\n", np700_status_str(np700_registry_free(registry)));
    return 0;
}
