/*
 * The harness: assertion counters, the common fixture, main().
 *
 *   np700_ctest [functional] [matrix] [threads] [journal] [handover] [controls]
 *                                                 the suites (default: all)
 *   np700_ctest --asan-selftest                   a heap overflow: must be caught by ASan
 *   np700_ctest --ubsan-selftest                  a signed overflow: must be caught by UBSan
 *
 * Built with -DNP700_CTEST_SANITIZERS it refuses to compile unless AddressSanitizer is on, and
 * at run time checks that ASan's runtime poisons a heap redzone.
 */
#include "harness.h"

#include <dirent.h>

#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <unistd.h>

#ifdef __cplusplus
#define CT_THREAD_LOCAL thread_local
#else
#define CT_THREAD_LOCAL _Thread_local
#endif

#if defined(NP700_CTEST_SANITIZERS)
#if defined(__SANITIZE_ADDRESS__)
#define CT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CT_ASAN 1
#endif
#endif
#ifndef CT_ASAN
#error "NP700_CTEST_SANITIZERS is set but this compiler is not instrumenting with AddressSanitizer"
#endif
#ifdef __cplusplus
extern "C"
#endif
    int
    __asan_address_is_poisoned(void const volatile *addr);
#endif

static pthread_mutex_t counts_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long passed_count, failed_count;

void ct_pass(void) {
    pthread_mutex_lock(&counts_lock);
    passed_count++;
    pthread_mutex_unlock(&counts_lock);
}

void ct_fail(const char *file, int line, const char *fmt, ...) {
    va_list ap;
    pthread_mutex_lock(&counts_lock);
    failed_count++;
    fprintf(stderr, "FAIL %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    pthread_mutex_unlock(&counts_lock);
}

unsigned long ct_failures(void) {
    unsigned long n;
    pthread_mutex_lock(&counts_lock);
    n = failed_count;
    pthread_mutex_unlock(&counts_lock);
    return n;
}

const char *ct_last_error(void) {
    static CT_THREAD_LOCAL char buf[512];
    if (np700_last_error(buf, sizeof buf, NULL) != NP700_OK) {
        buf[0] = '\0';
    }
    return buf;
}

int ct_untouched(const void *p, size_t n) {
    const unsigned char *b = (const unsigned char *)p;
    for (size_t i = 0; i < n; i++) {
        if (b[i] != SENTINEL) {
            return 0;
        }
    }
    return 1;
}

np700_str ct_str(const char *s) {
    np700_str r;
    r.ptr = s;
    r.len = s == NULL ? 0 : strlen(s);
    return r;
}

int ct_quick(void) {
    const char *q = getenv("NP700_CTEST_QUICK");
    return q != NULL && strcmp(q, "1") == 0;
}

np700_decision ct_route(const np700_registry *reg, const char *caller, const char *dialed,
                        np700_media media, uint64_t now) {
    np700_decision d;
    memset(&d, 0, sizeof d);
    EXPECT_OK(np700_route(reg, caller, strlen(caller), dialed, strlen(dialed), media, now, &d));
    return d;
}

const char *ct_kind_name(np700_decision_kind kind) {
    switch (kind) {
    case NP700_DECISION_ROUTE:
        return "ROUTE";
    case NP700_DECISION_COLLECT_DIGITS:
        return "COLLECT_DIGITS";
    case NP700_DECISION_ANNOUNCE:
        return "ANNOUNCE";
    case NP700_DECISION_REJECT:
        return "REJECT";
    default:
        return "?";
    }
}

void ct_temp_path(char *buf, size_t len, const char *tag) {
    const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(buf, len, "%s/np700-ctest-%ld-%s", dir, (long)getpid(), tag);
}

/* Removes a journal directory, its files and its subdirectories' files (the archive). */
void ct_remove_dir(const char *dir) {
    DIR *d = opendir(dir);
    if (d != NULL) {
        struct dirent *e;
        char path[512];
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
                snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
                if (unlink(path) != 0) {
                    ct_remove_dir(path);
                }
            }
        }
        closedir(d);
    }
    rmdir(dir);
}

void ct_remove_shared(const char *path) {
    char other[512];
    unlink(path);
    snprintf(other, sizeof other, "%s.new", path);
    unlink(other);
    snprintf(other, sizeof other, "%s.ctl", path);
    unlink(other);
}

/* Fails for every file or directory this process's tests left in the temporary directory:
 * /dev/shm is memory, and a leak there outlives the test run. */
static void check_nothing_left(void) {
    char prefix[128];
    const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    size_t n;
    DIR *d = opendir(dir);
    struct dirent *e;
    snprintf(prefix, sizeof prefix, "np700-ctest-%ld-", (long)getpid());
    n = strlen(prefix);
    if (d == NULL) {
        return;
    }
    while ((e = readdir(d)) != NULL) {
        CHECK_MSG(strncmp(e->d_name, prefix, n) != 0, "%s/%s left behind", dir, e->d_name);
    }
    closedir(d);
}

void ct_literal_handover(char *buf, size_t len, const char *first, unsigned count,
                         const char *number, unsigned long long id) {
    snprintf(buf, len,
             "{\"format\":\"np700-handover\",\"version\":1,\"exported_at\":1767225600,"
             "\"scope\":\"Platform\",\"tenants\":[{\"id\":1,\"name\":\"Literal\",\"scenarios\":[],"
             "\"status\":\"Active\",\"pair_cap\":200,\"credit_record\":[],"
             "\"registered_at\":1767225600}],\"blocks\":[{\"first\":%s,\"count\":%u}],"
             "\"numbers\":[{\"number\":%s,\"holding\":{\"Held\":{\"tenant\":1,\"tags\":[],"
             "\"since\":1767225600}}}],\"bindings\":[{\"id\":%llu,\"tenant\":1,\"parties\":{"
             "\"Axb\":{\"a\":8613800000001,\"x\":%s0001,\"b\":8613900000001}},\"policy\":{"
             "\"media\":{\"voice\":true,\"sms\":true},\"direction\":\"Both\","
             "\"allowed_callers\":[],\"window\":null,\"record\":false},\"status\":\"Active\","
             "\"created_at\":1767225600,\"expires_at\":1767312000,\"order_id\":\"\","
             "\"consent_ref\":\"c\",\"external_ref\":\"\"}],\"quarantines\":[]}",
             first, count, number, id, number);
}

np700_bind_request fx_axb(uint32_t tenant, const char *a, const char *x, const char *b) {
    np700_bind_request r;
    memset(&r, 0, sizeof r);
    r.tenant = tenant;
    r.mode = NP700_MODE_AXB;
    r.a = ct_str(a);
    r.b = ct_str(b);
    r.x.given = ct_str(x);
    r.expires_at = T0 + 86400;
    r.policy = np700_policy_default();
    r.order_id = ct_str("order-1");
    r.consent_ref = ct_str("consent-1");
    return r;
}

int fx_init(struct fx *f, int shared) {
    unsigned long before = ct_failures();
    np700_config *shared_cfg = NULL;
    np700_scenario delivery = NP700_SCENARIO_DELIVERY;
    np700_str beijing = ct_str("beijing");
    np700_bind_request r;
    np700_binding_info info;

    memset(f, 0, sizeof *f);
    EXPECT_OK(np700_config_new(&f->cfg));
    EXPECT_OK(np700_config_set_capacity(f->cfg, 256));
    EXPECT_OK(np700_config_set_binding_quarantine(f->cfg, FX_BINDING_QUARANTINE));
    EXPECT_OK(np700_config_set_number_quarantine(f->cfg, FX_NUMBER_QUARANTINE));
    if (shared) {
        /* A second configuration, so `cfg` stays one without a shared path. */
        ct_temp_path(f->path, sizeof f->path, "fixture");
        EXPECT_OK(np700_config_new(&shared_cfg));
        EXPECT_OK(np700_config_set_capacity(shared_cfg, 256));
        EXPECT_OK(np700_config_set_binding_quarantine(shared_cfg, FX_BINDING_QUARANTINE));
        EXPECT_OK(np700_config_set_number_quarantine(shared_cfg, FX_NUMBER_QUARANTINE));
        EXPECT_OK(np700_config_set_shared_path(shared_cfg, f->path, strlen(f->path)));
        EXPECT_OK(np700_registry_new(shared_cfg, &f->reg));
        EXPECT_OK(np700_config_free(shared_cfg));
        EXPECT_OK(np700_reader_attach(f->path, strlen(f->path), &f->rdr));
    } else {
        EXPECT_OK(np700_registry_new(f->cfg, &f->reg));
    }
    EXPECT_OK(np700_registry_license_block(f->reg, STR("70010000000"), 10, T0));
    EXPECT_OK(np700_registry_register_tenant(f->reg, STR("Swift Parcel"), &delivery, 1, 0, T0,
                                             &f->ta));
    EXPECT_OK(np700_registry_register_tenant(f->reg, STR("Hungry Panda"), NULL, 0, 0, T0, &f->tb));
    EXPECT_OK(np700_registry_assign_number(f->reg, f->ta, STR("70010000001"), &beijing, 1, T0));
    EXPECT_OK(np700_registry_assign_number(f->reg, f->ta, STR("70010000002"), NULL, 0, T0));
    EXPECT_OK(np700_registry_assign_number(f->reg, f->tb, STR("70010000005"), NULL, 0, T0));
    r = fx_axb(f->ta, FX_A_PARTY, FX_A_X, FX_A_CUSTOMER);
    EXPECT_OK(np700_registry_bind(f->reg, &r, T0, &info));
    f->ba = info.id;
    r = fx_axb(f->tb, FX_B_PARTY, FX_B_X, FX_B_CUSTOMER);
    EXPECT_OK(np700_registry_bind(f->reg, &r, T0, &info));
    f->bb = info.id;
    return ct_failures() == before;
}

void fx_free(struct fx *f) {
    EXPECT_OK(np700_reader_free(f->rdr));
    EXPECT_OK(np700_registry_free(f->reg));
    EXPECT_OK(np700_config_free(f->cfg));
    if (f->path[0] != '\0') {
        char staging[sizeof f->path + 4];
        snprintf(staging, sizeof staging, "%s.new", f->path);
        CHECK_MSG(access(staging, F_OK) != 0, "%s left behind", staging);
        ct_remove_shared(f->path);
    }
    memset(f, 0, sizeof *f);
}

/* ---- instrumentation self-tests (run by tests/c_abi.rs, expected to abort) ------------- */

static int asan_selftest(void) {
    volatile size_t i = 16;
    char *p = (char *)calloc(16, 1);
    volatile char c;
    if (p == NULL) {
        return 2;
    }
    c = p[i]; /* one past the end: heap-buffer-overflow */
    (void)c;
    free(p);
    return 0;
}

static int ubsan_selftest(void) {
    volatile int x = INT_MAX;
    x = x + 1; /* signed integer overflow */
    return 0;
}

static void check_instrumentation(void) {
#if defined(NP700_CTEST_SANITIZERS)
    /* The runtime is really there: a heap block's redzone is poisoned, its bytes are not. */
    char *p = (char *)malloc(16);
    CHECK(p != NULL);
    if (p != NULL) {
        CHECK_MSG(__asan_address_is_poisoned(p) == 0 && __asan_address_is_poisoned(p + 15) == 0,
                  "ASan poisons a live heap block");
        CHECK_MSG(__asan_address_is_poisoned(p + 16) != 0, "ASan does not poison the redzone");
        free(p);
    }
    printf("instrumentation: AddressSanitizer active (heap redzones poisoned)\n");
#endif
}

static int wanted(int argc, char **argv, const char *suite) {
    if (argc <= 1) {
        return 1;
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], suite) == 0) {
            return 1;
        }
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "--asan-selftest") == 0) {
        return asan_selftest();
    }
    if (argc == 2 && strcmp(argv[1], "--ubsan-selftest") == 0) {
        return ubsan_selftest();
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("np700 C tests: library %s, header %d.%d.%d, built as %s%s\n", np700_version(),
           NP700_VERSION_MAJOR, NP700_VERSION_MINOR, NP700_VERSION_PATCH,
#ifdef __cplusplus
           "C++",
#else
           "C",
#endif
           ct_quick() ? " (quick)" : "");
    check_instrumentation();
    if (wanted(argc, argv, "functional")) {
        run_functional();
    }
    if (wanted(argc, argv, "matrix")) {
        run_matrix();
    }
    if (wanted(argc, argv, "threads")) {
        run_threads();
    }
    if (wanted(argc, argv, "journal")) {
        run_journal();
    }
    if (wanted(argc, argv, "handover")) {
        run_handover();
    }
    if (wanted(argc, argv, "controls")) {
        run_controls();
    }
    if (wanted(argc, argv, "regulatory")) {
        run_regulatory();
    }
    check_nothing_left();
    pthread_mutex_lock(&counts_lock);
    printf("%lu passed, %lu failed\n", passed_count, failed_count);
    pthread_mutex_unlock(&counts_lock);
    return failed_count == 0 ? 0 : 1;
}
