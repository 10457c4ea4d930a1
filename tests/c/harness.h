/*
 * A minimal test harness for the C tests of np700 (no framework): CHECK / EXPECT_STATUS count
 * passed and failed assertions, failures print where and why, and main() ends with
 * "N passed, N failed" and a non-zero exit status on any failure.
 *
 * Every file here is valid C11 and C++17 (no designated initialisers, compound literals, VLAs
 * or implicit void * conversions); tests/c_abi.rs builds them both ways against the static and
 * the shared library, under ASan + UBSan and under valgrind. By hand, from the repository:
 *
 *   cargo build
 *   cc -std=c11 -Wall -Wextra -Werror -pedantic -Iinclude -Itests/c $(ls tests/c/[a-z]*.c) \
 *      target/debug/deps/libnp700.a -lpthread -ldl -lm -o /tmp/np700_ctest && /tmp/np700_ctest
 */
#ifndef NP700_CTEST_HARNESS_H
#define NP700_CTEST_HARNESS_H

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <np700.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __cplusplus
#define CT_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define CT_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif

/* 2026-01-01T08:00:00+08:00: the tests' "now" (np700 reads no clock). */
#define T0 UINT64_C(1767225600)

/* A string literal as the (pointer, length) pair np700 takes. */
#define STR(s) (s), (sizeof(s) - 1)

/* ---- assertions ------------------------------------------------------------------------- */

void ct_pass(void);
void ct_fail(const char *file, int line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
unsigned long ct_failures(void);
/* This thread's np700_last_error() message ("" if none or it does not fit 512 bytes). */
const char *ct_last_error(void);

#define CHECK_MSG(cond, ...)                                                                   \
    do {                                                                                       \
        if (cond) {                                                                            \
            ct_pass();                                                                         \
        } else {                                                                               \
            ct_fail(__FILE__, __LINE__, __VA_ARGS__);                                          \
        }                                                                                      \
    } while (0)

#define CHECK(cond) CHECK_MSG(cond, "CHECK(%s)", #cond)

#define EXPECT_STATUS(expr, expected)                                                          \
    do {                                                                                       \
        np700_status ct_got_ = (expr);                                                         \
        np700_status ct_want_ = (expected);                                                    \
        CHECK_MSG(ct_got_ == ct_want_,                                                         \
                  "%s\n    got %d (%s), expected %d (%s)\n    last error: %s",                 \
                  #expr, (int)ct_got_, np700_status_str(ct_got_), (int)ct_want_,               \
                  np700_status_str(ct_want_), ct_last_error());                                \
    } while (0)

#define EXPECT_OK(expr) EXPECT_STATUS(expr, NP700_OK)

#define CHECK_STR(got, want)                                                                   \
    do {                                                                                       \
        const char *ct_g_ = (got);                                                             \
        const char *ct_w_ = (want);                                                            \
        CHECK_MSG(ct_g_ != NULL && strcmp(ct_g_, ct_w_) == 0, "%s is \"%s\", expected \"%s\"", \
                  #got, ct_g_ == NULL ? "(null)" : ct_g_, ct_w_);                              \
    } while (0)

#define CHECK_U64(got, want)                                                                   \
    do {                                                                                       \
        unsigned long long ct_g_ = (unsigned long long)(got);                                  \
        unsigned long long ct_w_ = (unsigned long long)(want);                                 \
        CHECK_MSG(ct_g_ == ct_w_, "%s is %llu, expected %llu", #got, ct_g_, ct_w_);            \
    } while (0)

/* ---- outputs must not be written on errors -------------------------------------------- */

/* The byte pattern outputs are filled with before a call expected to fail. */
#define SENTINEL 0xA5
#define FILL(x) memset(&(x), SENTINEL, sizeof(x))
/* Non-zero if all `n` bytes at `p` still hold SENTINEL. */
int ct_untouched(const void *p, size_t n);
#define CHECK_UNTOUCHED(x)                                                                     \
    CHECK_MSG(ct_untouched(&(x), sizeof(x)), "%s was written on an error", #x)

/* ---- small helpers ---------------------------------------------------------------------- */

/* A NUL-terminated string (or NULL) as an np700_str. */
np700_str ct_str(const char *s);
/* A handle value np700 never returned (forged tokens, addresses). */
#define FORGED(type, v) ((type *)(uintptr_t)(v))
/* `p + 1` as a `type *`: misaligned for every type wider than a byte. */
#define MISALIGNED(type, p) ((type *)(void *)((uintptr_t)(void *)(p) + 1))

/* Routes on `reg` and checks the call succeeded; the decision is returned by value. */
np700_decision ct_route(const np700_registry *reg, const char *caller, const char *dialed,
                        np700_media media, uint64_t now);
const char *ct_kind_name(np700_decision_kind kind);

/* Non-zero when running the reduced workload (valgrind): NP700_CTEST_QUICK=1. */
int ct_quick(void);

/* ---- the common fixture ----------------------------------------------------------------- */

/*
 * A registry with two tenants and one AXB binding each:
 *   tenant `ta` ("Swift Parcel") holds 70010000001 (tag "beijing") and 70010000002; binding
 *     `ba`: 13800000001 <-> 13900000001 through 700100000010001;
 *   tenant `tb` ("Hungry Panda") holds 70010000005; binding `bb`: 13700000001 <->
 *     13600000001 through 700100000050001.
 * Licensed: 70010000000 .. 70010000009. Binding quarantine 1 h, number quarantine 1 day.
 * With `shared`, the index is published at `path` and `rdr` is attached to it.
 */
struct fx {
    np700_config *cfg; /* live, no shared path */
    np700_registry *reg;
    np700_reader *rdr;
    uint32_t ta, tb;
    uint64_t ba, bb;
    char path[128];
};

#define FX_A_PARTY "13800000001"
#define FX_A_CUSTOMER "13900000001"
#define FX_A_X "700100000010001"
#define FX_B_PARTY "13700000001"
#define FX_B_CUSTOMER "13600000001"
#define FX_B_X "700100000050001"
#define FX_BINDING_QUARANTINE 3600
#define FX_NUMBER_QUARANTINE 86400

/* Sets up the fixture; returns 0 (after failed checks) if it could not. */
int fx_init(struct fx *f, int shared);
void fx_free(struct fx *f);
/* An AXB request for `tenant`: a <-> b through the given usage number x, expiring in 1 day. */
np700_bind_request fx_axb(uint32_t tenant, const char *a, const char *x, const char *b);
/* A path unique to this process for shared index files (`tag` tells them apart). */
void ct_temp_path(char *buf, size_t len, const char *tag);
/* Removes a directory and the files in it, one level of subdirectories included (a journal
 * directory and its archive). */
void ct_remove_dir(const char *dir);
/* Removes what a registry publishing a shared index at `path` leaves: the index, its staging
 * successor (`.new`) and its control region (`.ctl`). */
void ct_remove_shared(const char *path);
/* A hand-over document (for np700_registry_import) written by hand: one active tenant,
 * "Literal" (id 1); the licensed block of `count` numbers from `first`; management number
 * `number` held by the tenant; one AXB binding with id `id` on usage number `number`0001. */
void ct_literal_handover(char *buf, size_t len, const char *first, unsigned count,
                         const char *number, unsigned long long id);

/* ---- the suites --------------------------------------------------------------------------- */

void run_functional(void);
void run_matrix(void);
void run_threads(void);
void run_journal(void);
void run_handover(void);
void run_controls(void);
void run_regulatory(void);

#endif /* NP700_CTEST_HARNESS_H */
