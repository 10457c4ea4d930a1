/*
 * Concurrency: np700_route() and np700_reader_route() from several threads while another thread
 * binds, suspends, resumes and unbinds (and grows the index); every answer must be one that was
 * valid for some state of the registry. Then a registry freed while threads route through it.
 */
#include "harness.h"

#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#define PAIRS 16   /* 8 per tenant */
#define ROUTERS 3
#define MAX_IDS 8192

/* Pair j: tenant A (j < 8) or B; parties a <-> b through x (four pairs share each x). */
struct pair {
    int tenant_b;
    char a[12], b[12], x[16];
    char a_e164[16], b_e164[16];
};

static struct {
    np700_registry *reg;
    np700_reader *rdr;
    uint32_t tenant[2];
    struct pair pairs[PAIRS];
    int id_pair[MAX_IDS]; /* binding id -> pair, -1 a filler, -2 none; written by the writer */
    uint64_t clock;       /* seconds after T0: written by the writer, read by all */
    int writer_done;
    unsigned long writer_ops, writer_failures;
} W;

struct router {
    pthread_t thread;
    unsigned seed;
    int use_reader;
    unsigned long routes, routed, failures;
    short seen[MAX_IDS]; /* binding id -> pair it routed, -1 none */
};

static unsigned next_rand(unsigned *s) {
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static void sleep_ms(long ms) {
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}

#define ROUTER_FAIL(r, ...)                                                                    \
    do {                                                                                       \
        if ((r)->failures++ < 5) {                                                             \
            fprintf(stderr, "router: " __VA_ARGS__);                                           \
            fputc('\n', stderr);                                                               \
        }                                                                                      \
    } while (0)

static int refusal(const np700_decision *d) {
    switch (d->kind) {
    case NP700_DECISION_REJECT:
        return (d->reject == NP700_REJECT_NO_BINDING ||
                d->reject == NP700_REJECT_CALLER_NOT_PERMITTED ||
                d->reject == NP700_REJECT_BINDING_SUSPENDED) &&
               d->sip_status == np700_reject_reason_sip_status(d->reject) && d->target_count == 0 &&
               d->targets[0][0] == '\0';
    case NP700_DECISION_ANNOUNCE:
        return d->announce == NP700_ANNOUNCE_SERVICE_ENDED && d->target_count == 0;
    default:
        return 0;
    }
}

static np700_status route_once(const struct router *r, const char *caller, const char *dialed,
                               uint64_t now, np700_decision *d) {
    if (r->use_reader) {
        return np700_reader_route(W.rdr, caller, strlen(caller), dialed, strlen(dialed),
                                  NP700_MEDIA_VOICE, now, d);
    }
    return np700_route(W.reg, caller, strlen(caller), dialed, strlen(dialed), NP700_MEDIA_VOICE,
                       now, d);
}

static void *router_main(void *arg) {
    struct router *r = (struct router *)arg;
    const int quick = ct_quick();
    const int minimum = quick ? 200 : 2000;
    while (!__atomic_load_n(&W.writer_done, __ATOMIC_ACQUIRE) ||
           r->routes < (unsigned long)minimum) {
        unsigned v = next_rand(&r->seed);
        const struct pair *p = &W.pairs[v % PAIRS];
        const struct pair *other = &W.pairs[(v / PAIRS) % PAIRS];
        uint64_t now = T0 + __atomic_load_n(&W.clock, __ATOMIC_ACQUIRE);
        np700_decision d;
        np700_status st;
        int from_a = (v >> 8) & 1;
        const char *caller = from_a ? p->a : p->b;
        const char *target = from_a ? p->b_e164 : p->a_e164;

        /* A party of the pair: routed to its own counterpart, on its own X, or refused. */
        memset(&d, 0, sizeof d);
        st = route_once(r, caller, p->x, now, &d);
        r->routes++;
        if (st != NP700_OK) {
            ROUTER_FAIL(r, "%s -> %s: %s", caller, p->x, np700_status_str(st));
        } else if (d.kind == NP700_DECISION_ROUTE) {
            r->routed++;
            if (d.target_count != 1 || strcmp(d.targets[0], target) != 0 ||
                strcmp(d.display, p->x) != 0 || d.tenant != W.tenant[p->tenant_b] ||
                d.mode != NP700_MODE_AXB || d.binding_id == 0 || d.binding_id >= MAX_IDS) {
                ROUTER_FAIL(r, "%s -> %s routed to %s shown %s, tenant %u, binding %llu", caller,
                            p->x, d.targets[0], d.display, (unsigned)d.tenant,
                            (unsigned long long)d.binding_id);
            } else {
                short *seen = &r->seen[d.binding_id];
                short j = (short)(p - W.pairs);
                if (*seen != -1 && *seen != j) {
                    ROUTER_FAIL(r, "binding %llu routed pairs %d and %d",
                                (unsigned long long)d.binding_id, *seen, j);
                }
                *seen = j;
            }
        } else if (!refusal(&d)) {
            ROUTER_FAIL(r, "%s -> %s: unexpected %s (reject %u, announce %u)", caller, p->x,
                        ct_kind_name(d.kind), (unsigned)d.reject, (unsigned)d.announce);
        }
        if (quick && r->routes % 32 == 0) {
            sched_yield(); /* under valgrind (one thread at a time), let the writer on */
        }

        /* A stranger, or a party of another pair: routed only when that pair shares this X
         * (same tenant, same number), and then to its own counterpart; else refused. */
        {
            int stranger = (v >> 9) & 1;
            const char *who = stranger ? "18600000000" : other->b;
            memset(&d, 0, sizeof d);
            st = route_once(r, who, p->x, now, &d);
            r->routes++;
            if (st != NP700_OK) {
                ROUTER_FAIL(r, "%s -> %s: %s", who, p->x, np700_status_str(st));
            } else if (d.kind == NP700_DECISION_ROUTE) {
                if (stranger || strcmp(other->x, p->x) != 0 ||
                    strcmp(d.targets[0], other->a_e164) != 0 ||
                    d.tenant != W.tenant[other->tenant_b]) {
                    ROUTER_FAIL(r, "%s -> %s routed to %s (tenant %u)", who, p->x, d.targets[0],
                                (unsigned)d.tenant);
                }
            } else if (!refusal(&d)) {
                ROUTER_FAIL(r, "%s -> %s: unexpected %s (reject %u)", who, p->x,
                            ct_kind_name(d.kind), (unsigned)d.reject);
            }
        }
    }
    return NULL;
}

static void writer_call(np700_status st, const char *what) {
    W.writer_ops++;
    if (st != NP700_OK && W.writer_failures++ < 5) {
        fprintf(stderr, "writer: %s: %s (%s)\n", what, np700_status_str(st), ct_last_error());
    }
}

static void *writer_main(void *arg) {
    const int iterations = ct_quick() ? 200 : 2000;
    int step[PAIRS];
    uint64_t id[PAIRS];
    int fillers = 0;
    (void)arg;
    memset(step, 0, sizeof step);
    memset(id, 0, sizeof id);
    for (int i = 0; i < iterations; i++) {
        int j = i % PAIRS;
        const struct pair *p = &W.pairs[j];
        uint32_t tenant = W.tenant[p->tenant_b];
        uint64_t now = T0 + (uint64_t)i + 1;
        __atomic_store_n(&W.clock, (uint64_t)i + 1, __ATOMIC_RELEASE);
        switch (step[j]++ % 4) {
        case 0: {
            np700_bind_request req = fx_axb(tenant, p->a, p->x, p->b);
            np700_binding_info b;
            np700_status st = np700_registry_bind(W.reg, &req, now, &b);
            writer_call(st, "bind");
            if (st == NP700_OK && b.id < MAX_IDS) {
                W.id_pair[b.id] = j;
                id[j] = b.id;
            }
            break;
        }
        case 1:
            writer_call(np700_registry_suspend(W.reg, tenant, id[j], now), "suspend");
            break;
        case 2:
            writer_call(np700_registry_resume(W.reg, tenant, id[j], now), "resume");
            break;
        default:
            writer_call(np700_registry_unbind(W.reg, tenant, id[j], now), "unbind");
            break;
        }
        /* Lasting bindings elsewhere, so the index outgrows its capacity meanwhile. */
        for (int k = 0; k < (ct_quick() ? 4 : 1); k++) {
            char a[12], b[12], x[16];
            np700_bind_request req;
            np700_binding_info info;
            np700_status st;
            snprintf(a, sizeof a, "1350%07d", fillers);
            snprintf(b, sizeof b, "1340%07d", fillers);
            snprintf(x, sizeof x, "70010000002%04d", fillers);
            fillers++;
            req = fx_axb(W.tenant[0], a, x, b);
            st = np700_registry_bind(W.reg, &req, now, &info);
            writer_call(st, "bind a filler");
            if (st == NP700_OK && info.id < MAX_IDS) {
                W.id_pair[info.id] = -1;
            }
        }
    }
    __atomic_store_n(&W.writer_done, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void test_route_during_writes(void) {
    np700_config *cfg = NULL;
    np700_stats before, after;
    char path[128];
    struct router *routers[ROUTERS];
    pthread_t writer;
    unsigned long routes = 0, routed = 0;
    unsigned long failures_before = ct_failures();

    memset(&W, 0, sizeof W);
    for (int i = 0; i < MAX_IDS; i++) {
        W.id_pair[i] = -2; /* never issued */
    }
    ct_temp_path(path, sizeof path, "threads");
    EXPECT_OK(np700_config_new(&cfg));
    EXPECT_OK(np700_config_set_capacity(cfg, 16));
    EXPECT_OK(np700_config_set_binding_quarantine(cfg, 0));
    EXPECT_OK(np700_config_set_shared_path(cfg, path, strlen(path)));
    EXPECT_OK(np700_registry_new(cfg, &W.reg));
    EXPECT_OK(np700_config_free(cfg));
    EXPECT_OK(np700_reader_attach(path, strlen(path), &W.rdr));
    EXPECT_OK(np700_registry_license_block(W.reg, STR("70010000000"), 10, T0));
    EXPECT_OK(np700_registry_register_tenant(W.reg, STR("A"), NULL, 0, 0, T0, &W.tenant[0]));
    EXPECT_OK(np700_registry_register_tenant(W.reg, STR("B"), NULL, 0, 0, T0, &W.tenant[1]));
    EXPECT_OK(np700_registry_assign_number(W.reg, W.tenant[0], STR("70010000001"), NULL, 0, T0));
    EXPECT_OK(np700_registry_assign_number(W.reg, W.tenant[0], STR("70010000002"), NULL, 0, T0));
    EXPECT_OK(np700_registry_assign_number(W.reg, W.tenant[1], STR("70010000005"), NULL, 0, T0));
    for (int j = 0; j < PAIRS; j++) {
        struct pair *p = &W.pairs[j];
        p->tenant_b = j >= PAIRS / 2;
        snprintf(p->a, sizeof p->a, "%s%04d", p->tenant_b ? "1370000" : "1380000", j);
        snprintf(p->b, sizeof p->b, "%s%04d", p->tenant_b ? "1360000" : "1390000", j);
        snprintf(p->x, sizeof p->x, "%s%04d", p->tenant_b ? "70010000005" : "70010000001",
                 j % 2 + 1);
        strcpy(p->a_e164, "+86");
        strcat(p->a_e164, p->a);
        strcpy(p->b_e164, "+86");
        strcat(p->b_e164, p->b);
    }
    if (ct_failures() != failures_before) {
        return;
    }
    memset(&before, 0, sizeof before);
    EXPECT_OK(np700_registry_stats(W.reg, &before));

    for (int i = 0; i < ROUTERS; i++) {
        routers[i] = (struct router *)calloc(1, sizeof *routers[i]);
        if (routers[i] == NULL) {
            CHECK_MSG(0, "out of memory");
            return;
        }
        routers[i]->seed = 0x9E3779B9u * (unsigned)(i + 1);
        routers[i]->use_reader = i == ROUTERS - 1;
        memset(routers[i]->seen, 0xff, sizeof routers[i]->seen); /* -1 */
        CHECK(pthread_create(&routers[i]->thread, NULL, router_main, routers[i]) == 0);
    }
    CHECK(pthread_create(&writer, NULL, writer_main, NULL) == 0);
    CHECK(pthread_join(writer, NULL) == 0);
    for (int i = 0; i < ROUTERS; i++) {
        struct router *r = routers[i];
        CHECK(pthread_join(r->thread, NULL) == 0);
        CHECK_MSG(r->failures == 0, "router %d: %lu invalid answers of %lu", i, r->failures,
                  r->routes);
        /* Every routed binding id was issued for the pair it routed. */
        for (int id = 0; id < MAX_IDS; id++) {
            if (r->seen[id] != -1) {
                CHECK_MSG(W.id_pair[id] == r->seen[id],
                          "binding %d routed pair %d but was made for %d", id, r->seen[id],
                          W.id_pair[id]);
            }
        }
        routes += r->routes;
        routed += r->routed;
        free(r);
    }
    CHECK_MSG(W.writer_failures == 0, "writer: %lu of %lu calls failed", W.writer_failures,
              W.writer_ops);
    CHECK_MSG(routed > 0, "no call was routed in %lu routes", routes);
    EXPECT_OK(np700_registry_stats(W.reg, &after));
    CHECK_MSG(after.index_generation > before.index_generation,
              "the index did not grow (generation %llu)",
              (unsigned long long)after.index_generation);
    printf("  %lu routes from %d threads (%lu routed) during %lu writes;"
           " index generation %llu -> %llu\n",
           routes, ROUTERS, routed, W.writer_ops, (unsigned long long)before.index_generation,
           (unsigned long long)after.index_generation);
    EXPECT_OK(np700_reader_free(W.rdr));
    EXPECT_OK(np700_registry_free(W.reg));
    {
        char staging[sizeof path + 4];
        snprintf(staging, sizeof staging, "%s.new", path);
        CHECK_MSG(access(staging, F_OK) != 0, "%s left behind", staging);
    }
    ct_remove_shared(path);
}

/* ---- freeing a registry while threads route through it ------------------------------------ */

struct free_router {
    pthread_t thread;
    const np700_registry *reg;
    int started;
    unsigned long ok, failures;
    np700_status last;
};

static void *free_router_main(void *arg) {
    struct free_router *r = (struct free_router *)arg;
    for (;;) {
        np700_decision d;
        np700_status st;
        memset(&d, 0, sizeof d);
        st = np700_route(r->reg, STR(FX_A_CUSTOMER), STR(FX_A_X), NP700_MEDIA_VOICE, T0 + 1, &d);
        __atomic_store_n(&r->started, 1, __ATOMIC_RELEASE);
        if (st == NP700_OK) {
            r->ok++;
            if (d.kind != NP700_DECISION_ROUTE || strcmp(d.targets[0], "+86" FX_A_PARTY) != 0) {
                r->failures++;
            }
            continue;
        }
        r->last = st;
        return NULL;
    }
}

static void test_free_while_routing(void) {
    struct fx f;
    struct free_router routers[ROUTERS];

    if (!fx_init(&f, 0)) {
        return;
    }
    memset(routers, 0, sizeof routers);
    for (int i = 0; i < ROUTERS; i++) {
        routers[i].reg = f.reg;
        CHECK(pthread_create(&routers[i].thread, NULL, free_router_main, &routers[i]) == 0);
    }
    for (int i = 0; i < ROUTERS; i++) {
        while (!__atomic_load_n(&routers[i].started, __ATOMIC_ACQUIRE)) {
            sleep_ms(1);
        }
    }
    sleep_ms(20);
    EXPECT_OK(np700_registry_free(f.reg));
    for (int i = 0; i < ROUTERS; i++) {
        CHECK(pthread_join(routers[i].thread, NULL) == 0);
        /* Valid answers until the free, then the stale handle is refused: nothing else. */
        CHECK_MSG(routers[i].ok > 0, "router %d never routed", i);
        CHECK_U64(routers[i].failures, 0);
        EXPECT_STATUS(routers[i].last, NP700_ERR_INVALID_HANDLE);
    }
    EXPECT_STATUS(np700_registry_free(f.reg), NP700_ERR_INVALID_HANDLE);
    f.reg = NULL;
    fx_free(&f);
}

void run_threads(void) {
    printf("== threads\n");
    test_route_during_writes();
    test_free_while_routing();
}
