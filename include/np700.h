/*
 * np700.h — the C ABI of np700: 700 privacy-number routing for platforms and softswitches.
 *
 * OVERVIEW
 *   A platform process (the writer) owns an np700_registry: tenants, licensed blocks of
 *   management numbers assigned to tenants, and bindings (AXB, AXN, AXYB, GXB) between real
 *   parties and 700 usage numbers. Switches ask np700_route() "this caller dialled this 700
 *   number: where does it go?" on every call and SMS and get an np700_decision: route (to whom,
 *   presenting which number), collect more digits, play an announcement, or reject (with the
 *   SIP status to send). Switch processes other than the writer attach read-only to the
 *   writer's index in a shared mapping with np700_reader_attach() and route the same way.
 *   Time is always an argument (seconds since the Unix epoch); np700 reads no clock.
 *
 * LIFECYCLE
 *   np700_config_new()          -> set options -> np700_registry_new() -> np700_config_free()
 *   np700_registry_register_tenant(), _license_block(), _assign_number(), _bind(), ...
 *   np700_route() from any thread, any time
 *   np700_registry_free()
 *   Durable: np700_registry_open() instead of _new(); np700_registry_snapshot() now and then.
 *   Hand-over: np700_registry_export() -> the document -> np700_registry_import() elsewhere.
 *   Reader processes: np700_reader_attach() -> np700_reader_route() -> np700_reader_free().
 *
 * OWNERSHIP
 *   Handles (np700_config *, np700_registry *, np700_reader *) are opaque tokens owned by the
 *   caller until passed to their _free function; they are not addresses and must not be
 *   dereferenced. Every _free accepts NULL. A handle used after its _free, freed twice, or of
 *   the wrong type is detected: NP700_ERR_INVALID_HANDLE, never memory corruption.
 *   np700 never returns memory for the caller to free: strings go in as (const char *, size_t)
 *   pairs, borrowed for the call only ((NULL, 0) is the empty string; they need not be
 *   NUL-terminated), and results come back in structs and buffers the caller owns, with
 *   fixed-size, NUL-terminated character arrays for numbers.
 *
 * THREAD SAFETY
 *   A function taking a const T * may be called concurrently with any other such call on the
 *   same object. A function taking a T * (the np700_config setters) needs exclusive use.
 *   Registries and readers are meant to be shared by all threads: writes are carried out one at
 *   a time, and np700_route() / np700_reader_route() never take a lock, never allocate, never
 *   make a system call and never wait for a writer (the one exception: the first reader lookup
 *   after the writer rebuilt its index re-attaches, see np700_reader_route()). Freeing a
 *   registry or reader while other threads are still inside calls with it is safe; they finish
 *   on the old object.
 *
 * ERRORS
 *   Every fallible function returns an np700_status: NP700_OK (0) or a negative NP700_ERR_*
 *   code in a stable group: -1xx the arguments (NULL or misaligned pointers, stale handles,
 *   invalid UTF-8, over-long strings, malformed numbers, unknown codes, out-of-range values,
 *   small buffers); -2xx refusals by the registry's rules (one code per refusal); -3xx
 *   resources and I/O; -9xx bugs in np700 (a panic is caught and reported, never unwinds into
 *   the caller). Codes are append-only and never renumbered. Outputs are written only on
 *   NP700_OK (the one exception: a size asked for with a buffer — `needed` of
 *   np700_last_error() and np700_registry_export(), `lines_needed` of
 *   np700_registry_migrate_legacy() — is also written with NP700_ERR_BUFFER_TOO_SMALL).
 *   np700_status_str() names a code; np700_last_error() copies this thread's last message.
 *   When several arguments are bad at once, which one is reported is unspecified.
 *
 * VERSIONS
 *   NP700_VERSION_MAJOR/MINOR/PATCH and NP700_VERSION_NUMBER describe this header;
 *   np700_version() and np700_version_number() the library actually loaded.
 *
 * DURABILITY
 *   np700_registry_open(config, dir, ...) opens a journaled registry: it recovers the newest
 *   snapshot plus the journal after it, cuts a torn tail (reported in np700_recovery) and
 *   continues. The contract:
 *   1. A write returns NP700_OK only after its events are in the journal and synced
 *      (fdatasync; the directory too for new files). NP700_COMMIT_GROUP (the default) lets
 *      writers arriving during a sync share the next one; each still returns only once a sync
 *      covering it completed. NP700_COMMIT_NOT_DURABLE acknowledges before syncing: explicit,
 *      never the default.
 *   2. After a crash at any point, recovery yields exactly the effect of the first k events for
 *      some k >= the number acknowledged: no gaps, no reordering, each call all or nothing.
 *   3. A torn or garbage tail after the last synced record is cut and reported; damage before
 *      it is NP700_ERR_CORRUPT_JOURNAL at open (the last error names file and offset).
 *   4. Snapshots (np700_registry_snapshot(), or automatic, see np700_config_set_journal()) are
 *      written to a temporary file, synced, renamed, the directory synced; only then is the
 *      journal they replace removed.
 *   5. After a failed write or sync, that call returns NP700_ERR_IO and every later write
 *      NP700_ERR_JOURNAL_HALTED until the registry is freed and opened again.
 *
 * HAND-OVER
 *   A platform that exits the pilot hands its live bindings to whoever keeps serving them:
 *   np700_registry_export() writes one tenant's (or the whole platform's) tenants, numbers,
 *   bindings and quarantines as a versioned JSON document into a caller's buffer (ask for the
 *   size with (NULL, 0), then fill); np700_registry_import() reads it into another registry in
 *   one all-or-nothing write, after which every call routes as before. During the transition
 *   period, np700_registry_migrate_legacy() moves legacy middle-number bindings (JSON lines)
 *   onto 700 numbers, with an outcome per line (NP700_LEGACY_*) in a caller's array.
 *
 * CONTROLS
 *   Frequency limits (np700_config_add_rate_limit(): per caller, usage number or binding, in
 *   fixed epoch-aligned windows; at most NP700_MAX_RATE_LIMITS) refuse with
 *   NP700_REJECT_RATE_LIMITED (SIP 486); probing detection (np700_config_set_probing()) blocks
 *   a caller dialling too many different 700 numbers (NP700_REJECT_AUTO_BLOCKED). Their counters
 *   live in memory every router of a registry shares (its threads and, with a shared index, every
 *   attached reader process), so a limit holds across all of a switch's workers. Every decision
 *   also queues an np700_route_record (np700_config_set_records()); the writer drains all of
 *   them, readers' included, with np700_registry_drain_records() into a caller's array, without
 *   allocating. Readers never drain. A full queue drops and counts
 *   (np700_registry_records_dropped()) rather than make a router wait; a full counter table lets
 *   requests through uncounted (np700_registry_untracked()).
 *
 * REGULATORY CONTROLS
 *   Block lists: np700_registry_block_caller() (tenant 0 is the platform operator, whose rules
 *   without a callee refuse a caller before anything is looked up) and
 *   np700_registry_block_binding() (NP700_BLOCK_*) make rules every router applies at once,
 *   NP700_REJECT_BLOCKED (SIP 403); np700_registry_lift_block() lifts one (a tenant only its
 *   own, the operator any). Real users: np700_registry_set_real_user_required() and
 *   np700_registry_report_real_user(); a required, unreported subscriber A makes its bindings
 *   answer NP700_REJECT_USER_NOT_REPORTED. SMS: np700_route_message() (and the reader's and
 *   follower's) routes an SMS with its text through the configured rules (commercial sender
 *   prefixes, verification-code keywords and digit runs; np700_config_*_sms_*()).
 *   Archive and reports: a journaled registry keeps route records, call records
 *   (np700_registry_end_call()) and binding history in <journal dir>/archive/
 *   (np700_config_set_archive()); np700_registry_archive_drained() drains the record queue into
 *   it, np700_registry_history() answers which binding carried a call at a time T, and
 *   np700_registry_report() writes the regulator's report as JSON into a caller's buffer (the
 *   size-then-fill convention of np700_registry_export()).
 *
 * LATER CAPABILITIES
 *   Further capabilities extend this ABI in the same style:
 *   new functions and new configuration setters, new status codes appended to the groups
 *   above, no change to what exists.
 */


#ifndef NP700_H
#define NP700_H

/* Generated by cbindgen from src/ffi/ and cbindgen.toml: do not edit by hand. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * The major version of the header (incompatible ABI changes once 1.0 is out).
 */
#define NP700_VERSION_MAJOR 0

/**
 * The minor version of the header.
 */
#define NP700_VERSION_MINOR 1

/**
 * The patch version of the header.
 */
#define NP700_VERSION_PATCH 0

/**
 * The header's version as one number, `MAJOR * 1000000 + MINOR * 1000 + PATCH` (0.1.0 is 1000),
 * comparable with `np700_version_number()`.
 */
#define NP700_VERSION_NUMBER (((NP700_VERSION_MAJOR * 1000000) + (NP700_VERSION_MINOR * 1000)) + NP700_VERSION_PATCH)

/**
 * The longest number string accepted, in bytes (dial strings with separators and URIs fit).
 */
#define NP700_MAX_NUMBER_LEN 256

/**
 * The longest list (group members, allowed callers, tags, scenarios) accepted.
 */
#define NP700_MAX_LIST_LEN 64

/**
 * The longest file path accepted, in bytes.
 */
#define NP700_MAX_PATH_LEN 4096

/**
 * The latest time np700 accepts, in seconds since the Unix epoch (2106-02-07T06:28:14Z): the
 * routing index keeps times in 32 bits.
 */
#define NP700_TIME_MAX 4294967294

/**
 * An expiry meaning "never expires".
 */
#define NP700_TIME_NEVER UINT64_MAX

/**
 * The most entries of a mapping table accepted: an import's tenant mapping, a legacy
 * migration's table of legacy numbers (larger migrations go in batches).
 */
#define NP700_MAX_TABLE_LEN 65536

/**
 * The most live handles of one type (registries, readers or configurations) at a time.
 */
#define NP700_MAX_HANDLES 1024

/**
 * The largest initial capacity accepted, in bindings (the index still grows past it).
 */
#define NP700_MAX_CAPACITY 50000000

/**
 * The initial capacity of a new configuration, in bindings.
 */
#define NP700_DEFAULT_CAPACITY 10000

/**
 * The longest quarantine accepted, in seconds (10 years).
 */
#define NP700_MAX_QUARANTINE_SECS (((10 * 366) * 24) * 3600)

/**
 * Room for a tenant's name and its NUL.
 */
#define NP700_NAME_BUF_LEN 129

/**
 * Room for a journal file name in `np700_recovery` (names are 28 bytes and a NUL).
 */
#define NP700_FILE_NAME_LEN 40

/**
 * Room for any number np700 writes and its NUL: a 15-digit usage number, or `+` and up to 15
 * E.164 digits.
 */
#define NP700_NUMBER_LEN 17

/**
 * The most destinations of one route (a GXB group rung in order).
 */
#define NP700_MAX_TARGETS 8

/**
 * The most frequency limits one configuration holds.
 */
#define NP700_MAX_RATE_LIMITS 16

/**
 * The largest value of every control size (counter slots, mark slots, block rules, record
 * shards, records per shard): 2^26.
 */
#define NP700_MAX_CONTROL_SIZE 67108864

/**
 * The longest block note accepted, in bytes.
 */
#define NP700_MAX_NOTE_LEN 256

/**
 * The most commercial sender prefixes a configuration holds.
 */
#define NP700_MAX_SMS_PREFIXES 32

/**
 * The most digits of one commercial sender prefix.
 */
#define NP700_MAX_SMS_PREFIX_DIGITS 16

/**
 * The most verification-code keywords a configuration holds.
 */
#define NP700_MAX_SMS_KEYWORDS 64

/**
 * The longest verification-code keyword, in bytes of UTF-8.
 */
#define NP700_MAX_SMS_KEYWORD_LEN 64

/**
 * The longest digit run the verification-code rule may look for.
 */
#define NP700_MAX_SMS_CODE_DIGITS 32

/**
 * The longest SMS text `np700_route_message()` takes, in bytes (a concatenated SMS of 255
 * parts is under 40 KiB).
 */
#define NP700_MAX_SMS_TEXT_LEN 65536

/**
 * The longest retention accepted, in seconds (10 years).
 */
#define NP700_MAX_RETENTION_SECS (((10 * 366) * 24) * 3600)

/**
 * The archive's default retention, in seconds: 183 days (about six months, what a draft
 * standard asks for bindings and records).
 */
#define NP700_DEFAULT_RETENTION_SECS (183 * 86400)

/**
 * How many `NP700_LEGACY_*` results there are (the size of `np700_legacy_summary.by_result`).
 */
#define NP700_LEGACY_RESULTS 11

/**
 * Room for the reason of a refused line and its NUL (longer reasons are cut at a character
 * boundary).
 */
#define NP700_LEGACY_WHY_LEN 128

/**
 * A registry configuration (opaque).
 *
 * Thread safety: the setters need exclusive use (`np700_config *`); creating registries from it
 * (`const np700_config *`) may happen from several threads at once.
 */
typedef struct np700_config np700_config;

/**
 * A follower (opaque): a read-only replica of a journaled registry.
 *
 * Thread safety: every function taking a `const np700_follower *` may be called from any number
 * of threads at once; `np700_follower_poll()` calls are carried out one at a time and
 * `np700_follower_route()` never waits for them. Freeing while other threads are still inside
 * calls is safe.
 */
typedef struct np700_follower np700_follower;

/**
 * A read-only attachment to the routing index a registry publishes at a path (opaque): what a
 * switch's worker processes use to route, with the writer's live data and without a copy.
 *
 * Thread safety: `np700_reader_route()` and `np700_reader_generation()` may be called from any
 * number of threads at once. As for registries, freeing while other threads are still inside
 * calls is safe.
 */
typedef struct np700_reader np700_reader;

/**
 * A registry (opaque): the platform's tenants, number resources and bindings, and the
 * lock-free routing index switches read.
 *
 * Thread safety: every function taking a `const np700_registry *` may be called from any
 * number of threads at once. Writes (tenants, numbers, bindings, sweeps) are carried out one at
 * a time; `np700_route()` never waits for them. `np700_registry_free()` may be called while
 * other threads are still inside calls with the handle: the registry is dropped when the last
 * of them returns, and later calls get `NP700_ERR_INVALID_HANDLE`.
 */
typedef struct np700_registry np700_registry;

/**
 * The result of every fallible np700 function: `NP700_OK` (0) or a negative `NP700_ERR_*`
 * code. Outputs are written only when the result is `NP700_OK`.
 */
typedef int32_t np700_status;

/**
 * When a journaled registry acknowledges a write (`NP700_COMMIT_*`).
 */
typedef uint32_t np700_commit;

/**
 * A business scenario a tenant contracted for (`NP700_SCENARIO_*`).
 */
typedef uint32_t np700_scenario;

/**
 * A tenant's status (`NP700_TENANT_*`).
 */
typedef uint32_t np700_tenant_status;

/**
 * The kind of a violation in a tenant's credit record (`NP700_VIOLATION_*`).
 */
typedef uint32_t np700_violation;

/**
 * A tenant as `np700_registry_tenant()` reports it.
 */
typedef struct np700_tenant_info {
    /**
     * Its id.
     */
    uint32_t id;
    /**
     * `NP700_TENANT_*`.
     */
    np700_tenant_status status;
    /**
     * The most bindings one usage number carries for it.
     */
    uint16_t pair_cap;
    /**
     * Management numbers it holds.
     */
    uint64_t numbers_held;
    /**
     * Entries in its credit record.
     */
    uint64_t violations;
    /**
     * When it was registered (seconds since the Unix epoch).
     */
    uint64_t registered_at;
    /**
     * Its name, NUL-terminated UTF-8.
     */
    char name[NP700_NAME_BUF_LEN];
} np700_tenant_info;

/**
 * A borrowed string: `len` bytes at `ptr`, not NUL-terminated. `{NULL, 0}` is the empty string;
 * `ptr` may be NULL only when `len` is 0.
 */
typedef struct np700_str {
    /**
     * The first byte, or NULL for the empty string.
     */
    const char *ptr;
    /**
     * The length in bytes.
     */
    size_t len;
} np700_str;

/**
 * Counts over a registry, as `np700_registry_stats()` reports them.
 */
typedef struct np700_stats {
    /**
     * Registered tenants.
     */
    uint64_t tenants;
    /**
     * Tenants whose status is active.
     */
    uint64_t active_tenants;
    /**
     * Licensed blocks.
     */
    uint64_t licensed_blocks;
    /**
     * Management numbers in the licensed blocks.
     */
    uint64_t licensed_numbers;
    /**
     * Management numbers held by tenants.
     */
    uint64_t assigned_numbers;
    /**
     * Management numbers in quarantine after a reclaim (until a sweep drops ended ones).
     */
    uint64_t quarantined_numbers;
    /**
     * Live bindings (active or suspended; expired ones until a sweep ends them).
     */
    uint64_t bindings;
    /**
     * Live bindings that are suspended.
     */
    uint64_t suspended_bindings;
    /**
     * Usage numbers with route entries or quarantines.
     */
    uint64_t usage_numbers_in_use;
    /**
     * The routing index's generation (grows by one each time the index is rebuilt bigger).
     */
    uint64_t index_generation;
    /**
     * The routing index's size in bytes (virtual; resident memory is what is used).
     */
    uint64_t index_bytes;
    /**
     * The routing index's entry slots.
     */
    uint64_t index_entries;
} np700_stats;

/**
 * What `np700_registry_open()` recovered.
 */
typedef struct np700_recovery {
    /**
     * The seq (event number) of the last event in the snapshot loaded; 0 if none was.
     */
    uint64_t snapshot_seq;
    /**
     * Events replayed from the journal after the snapshot.
     */
    uint64_t replayed;
    /**
     * The seq of the last event recovered (0 for an empty journal).
     */
    uint64_t last_seq;
    /**
     * Bytes of a torn or garbage tail cut from the last journal segment (0: none).
     */
    uint64_t cut_bytes;
    /**
     * Where the cut is in that segment.
     */
    uint64_t cut_offset;
    /**
     * The segment cut, NUL-terminated ("" if none).
     */
    char cut_file[NP700_FILE_NAME_LEN];
    /**
     * Leftover files removed (temporary snapshots, a segment whose creation did not finish).
     */
    uint32_t removed_files;
} np700_recovery;

/**
 * A medium, and as bits a set of media (`NP700_MEDIA_*`).
 */
typedef uint32_t np700_media;

/**
 * Which way calls may go through a binding (`NP700_DIRECTION_*`). The A side is A (the group
 * in GXB); the B side is B (in AXN everyone reaching A through X, and N).
 */
typedef uint32_t np700_direction;

/**
 * What a binding permits. Start from `np700_policy_default()`.
 */
typedef struct np700_policy {
    /**
     * Allowed media: `NP700_MEDIA_VOICE | NP700_MEDIA_SMS`, not 0 (`NP700_ERR_INVALID_POLICY`);
     * other bits are `NP700_ERR_BAD_ENUM`.
     */
    np700_media media;
    /**
     * `NP700_DIRECTION_*`.
     */
    np700_direction direction;
    /**
     * Non-zero: the switch should record routed calls.
     */
    uint8_t record;
    /**
     * Non-zero: calls go through only inside the daily window below.
     */
    uint8_t has_window;
    /**
     * First minute of the day (Beijing time) inside the window, 0..1440.
     */
    uint16_t window_start_minute;
    /**
     * First minute after the window, 0..1440, not equal to the start; a window whose start is
     * after its end wraps past midnight.
     */
    uint16_t window_end_minute;
    /**
     * AXN only: when not empty, only these callers (and A) may use X; at most 32 distinct.
     */
    const struct np700_str *allowed_callers;
    /**
     * Entries in `allowed_callers` (at most `NP700_MAX_LIST_LEN`).
     */
    size_t allowed_callers_len;
} np700_policy;

/**
 * A binding mode (`NP700_MODE_*`).
 */
typedef uint32_t np700_mode;

/**
 * How a binding gets a usage number: a given one, or one picked automatically among the
 * tenant's own.
 */
typedef struct np700_number_choice {
    /**
     * A 15-digit usage number to use; empty (`{NULL, 0}`) picks one automatically.
     */
    struct np700_str given;
    /**
     * Automatic: prefer (or require) management numbers with this tag; empty for any.
     */
    struct np700_str tag;
    /**
     * Automatic with a tag: non-zero takes only tagged numbers, 0 falls back to any.
     */
    uint8_t tag_strict;
    /**
     * Automatic: the party whose earlier usage number to prefer (sticky); empty for none.
     */
    struct np700_str sticky_for;
} np700_number_choice;

/**
 * A request for a new binding, for every mode. Zero it, then set what the mode needs.
 */
typedef struct np700_bind_request {
    /**
     * The tenant making it; its usage numbers come from the tenant's own management numbers.
     */
    uint32_t tenant;
    /**
     * `NP700_MODE_*`.
     */
    np700_mode mode;
    /**
     * Party A (AXB, AXN, AXYB); must be empty for GXB.
     */
    struct np700_str a;
    /**
     * Party B (AXB, AXYB, GXB); for AXN the default destination N of A's own calls, empty for
     * none.
     */
    struct np700_str b;
    /**
     * GXB: the group's members in ringing order (1..=8); must be empty for other modes.
     */
    const struct np700_str *group;
    /**
     * Entries in `group` (at most `NP700_MAX_LIST_LEN`).
     */
    size_t group_len;
    /**
     * The usage number X.
     */
    struct np700_number_choice x;
    /**
     * AXYB: the usage number Y (ignored for other modes).
     */
    struct np700_number_choice y;
    /**
     * When it stops routing (seconds since the Unix epoch, after now, at most
     * `NP700_TIME_MAX`, or `NP700_TIME_NEVER`).
     */
    uint64_t expires_at;
    /**
     * What it permits.
     */
    struct np700_policy policy;
    /**
     * The order it serves (may be empty; at most 64 bytes).
     */
    struct np700_str order_id;
    /**
     * The reference of the user's consent (required; at most 64 bytes).
     */
    struct np700_str consent_ref;
    /**
     * The platform's own reference (may be empty; at most 64 bytes).
     */
    struct np700_str external_ref;
} np700_bind_request;

/**
 * A live binding's status (`NP700_BINDING_*`).
 */
typedef uint32_t np700_binding_status;

/**
 * A binding as stored, reported by `np700_registry_bind()`, `np700_registry_update()` and
 * `np700_registry_binding()`.
 */
typedef struct np700_binding_info {
    /**
     * Its id (assigned in order from 1, never reused).
     */
    uint64_t id;
    /**
     * The tenant that made it.
     */
    uint32_t tenant;
    /**
     * `NP700_MODE_*`.
     */
    np700_mode mode;
    /**
     * `NP700_BINDING_*`.
     */
    np700_binding_status status;
    /**
     * Whether routed calls are recorded.
     */
    bool record;
    /**
     * When it was made.
     */
    uint64_t created_at;
    /**
     * When it stops routing (`NP700_TIME_NEVER` for never).
     */
    uint64_t expires_at;
    /**
     * The usage number X, 15 digits, NUL-terminated.
     */
    char x[NP700_NUMBER_LEN];
    /**
     * AXYB: the usage number Y; empty otherwise.
     */
    char y[NP700_NUMBER_LEN];
} np700_binding_info;

/**
 * What an update changes in the counterpart (`NP700_COUNTERPART_*`).
 */
typedef uint32_t np700_counterpart;

/**
 * A change to a binding. Zero it, then set the binding and what changes; at least one of the
 * counterpart, the expiry or the policy must change (`NP700_ERR_EMPTY_UPDATE`).
 */
typedef struct np700_update_request {
    /**
     * The tenant asking (it must own the binding: `NP700_ERR_CROSS_TENANT`).
     */
    uint32_t tenant;
    /**
     * The binding.
     */
    uint64_t binding;
    /**
     * `NP700_COUNTERPART_*`.
     */
    np700_counterpart counterpart;
    /**
     * The new B or N.
     */
    struct np700_str number;
    /**
     * The new group members, in ringing order.
     */
    const struct np700_str *group;
    /**
     * Entries in `group`.
     */
    size_t group_len;
    /**
     * A new expiry, or 0 to keep it.
     */
    uint64_t expires_at;
    /**
     * A new policy, or NULL to keep it.
     */
    const struct np700_policy *policy;
} np700_update_request;

/**
 * What a switch should do (`NP700_DECISION_*`).
 */
typedef uint32_t np700_decision_kind;

/**
 * Why the caller hears an announcement (`NP700_ANNOUNCE_*`).
 */
typedef uint32_t np700_announce_reason;

/**
 * Why a call is refused (`NP700_REJECT_*`); append-only like the statuses.
 */
typedef uint32_t np700_reject_reason;

/**
 * A route decision, filled by `np700_route()` / `np700_reader_route()` in memory the caller
 * owns. Fields that do not apply to `kind` are zero (strings empty).
 */
typedef struct np700_decision {
    /**
     * `NP700_DECISION_*`.
     */
    np700_decision_kind kind;
    /**
     * ROUTE: the binding's mode (`NP700_MODE_*`).
     */
    np700_mode mode;
    /**
     * ROUTE: the binding that decided it.
     */
    uint64_t binding_id;
    /**
     * ROUTE: the tenant owning the binding (for CDRs and billing).
     */
    uint32_t tenant;
    /**
     * ROUTE: whether the switch should record the call.
     */
    bool record;
    /**
     * COLLECT_DIGITS: digits still needed.
     */
    uint8_t digits_needed;
    /**
     * REJECT: the SIP final response a switch would send (404, 403, …).
     */
    uint16_t sip_status;
    /**
     * ANNOUNCE: `NP700_ANNOUNCE_*`.
     */
    np700_announce_reason announce;
    /**
     * REJECT: `NP700_REJECT_*`.
     */
    np700_reject_reason reject;
    /**
     * ROUTE: how many entries of `targets` are set (1, or up to 8 for GXB).
     */
    uint32_t target_count;
    /**
     * ROUTE: the 700 number to present to the callee, 15 digits, NUL-terminated.
     */
    char display[NP700_NUMBER_LEN];
    /**
     * ROUTE: the destinations in ringing order, each `+` and E.164 digits, NUL-terminated.
     */
    char targets[NP700_MAX_TARGETS][NP700_NUMBER_LEN];
} np700_decision;

/**
 * What a frequency limit counts per (`NP700_LIMIT_SUBJECT_*`).
 */
typedef uint32_t np700_limit_subject;

/**
 * One route decision as a switch asked for it and np700 answered, drained with
 * `np700_registry_drain_records()`. Fixed-size; fields that do not apply are zero (strings
 * empty).
 */
typedef struct np700_route_record {
    /**
     * When it was routed: the `now` the switch passed, seconds since the Unix epoch.
     */
    uint64_t at;
    /**
     * The binding that decided it (routed requests, and refusals a binding's policy made), or 0.
     */
    uint64_t binding_id;
    /**
     * The tenant holding the dialled number when known (always for a routed request), or 0.
     */
    uint32_t tenant;
    /**
     * `NP700_MEDIA_VOICE` or `NP700_MEDIA_SMS`.
     */
    np700_media media;
    /**
     * `NP700_DECISION_*`: how it was answered.
     */
    np700_decision_kind kind;
    /**
     * REJECT: `NP700_REJECT_*`.
     */
    np700_reject_reason reject;
    /**
     * ANNOUNCE: `NP700_ANNOUNCE_*`.
     */
    np700_announce_reason announce;
    /**
     * REJECT: the SIP final response a switch would have sent.
     */
    uint16_t sip_status;
    /**
     * The caller, `+` and E.164 digits, when its number could be read.
     */
    char caller[NP700_NUMBER_LEN];
    /**
     * The usage number dialled (15 digits), when a complete one was.
     */
    char dialed[NP700_NUMBER_LEN];
    /**
     * ROUTE: the first destination, `+` and E.164 digits.
     */
    char to[NP700_NUMBER_LEN];
    /**
     * ROUTE: the usage number shown to the callee (15 digits).
     */
    char display[NP700_NUMBER_LEN];
} np700_route_record;

/**
 * Which calls of a binding a binding block refuses (`NP700_BLOCK_*`). What A and B are, by
 * mode: AXB and AXYB: A and B; AXN: A and its default destination N (refused,
 * `NP700_ERR_INVALID_BLOCK_REQUEST`, when the binding has no N); GXB: each member of the group
 * and B (one rule per member).
 */
typedef uint32_t np700_block_direction;

/**
 * What `np700_registry_history()` found. Fixed-size; when `found` is false every other field
 * is zero (strings empty).
 */
typedef struct np700_history_hit {
    /**
     * Whether a binding carried the (usage number, caller) at that time.
     */
    bool found;
    /**
     * Whether that binding is still live (answered from the state, not the archive).
     */
    bool live;
    /**
     * The binding.
     */
    uint64_t binding_id;
    /**
     * Its tenant.
     */
    uint32_t tenant;
    /**
     * Its mode (`NP700_MODE_*`).
     */
    np700_mode mode;
    /**
     * When the binding version in force began (seconds since the Unix epoch).
     */
    uint64_t from;
    /**
     * When it ended, exclusive (for a live binding: its expiry; `NP700_TIME_NEVER` for none).
     */
    uint64_t until;
    /**
     * How many entries of `to` are set (0: AXN's A without N, which was refused).
     */
    uint32_t to_count;
    /**
     * The number shown to the callee, 15 digits, NUL-terminated.
     */
    char display[NP700_NUMBER_LEN];
    /**
     * Where the call went, in ringing order, each `+` and E.164 digits, NUL-terminated.
     */
    char to[NP700_MAX_TARGETS][NP700_NUMBER_LEN];
} np700_history_hit;

/**
 * What one `np700_follower_poll()` did.
 */
typedef struct np700_follow_progress {
    /**
     * Events applied.
     */
    uint64_t applied;
    /**
     * Events skipped because the follower had them already.
     */
    uint64_t skipped;
    /**
     * Non-zero if the follower reloaded from a snapshot (it had fallen behind the writer's
     * snapshots); then `reloaded_seq` is the seq of that snapshot.
     */
    uint8_t reloaded;
    /**
     * See `reloaded`.
     */
    uint64_t reloaded_seq;
    /**
     * The seq of the last event the follower holds (0 for none).
     */
    uint64_t last_seq;
} np700_follow_progress;

/**
 * One entry of an import's tenant mapping: a tenant of the hand-over and the tenant of the
 * registry it becomes.
 */
typedef struct np700_tenant_mapping {
    /**
     * The tenant's id in the hand-over (the exporter's id).
     */
    uint32_t exported;
    /**
     * A tenant the registry already has, with the same status.
     */
    uint32_t target;
} np700_tenant_mapping;

/**
 * How an import numbers the bindings it installs (`NP700_IMPORT_*`).
 */
typedef uint32_t np700_import_ids;

/**
 * What `np700_registry_import()` did.
 */
typedef struct np700_import_report {
    /**
     * Tenants in the hand-over.
     */
    uint64_t tenants;
    /**
     * Of them, mapped onto tenants the registry had (the entries of `tenant_map`).
     */
    uint64_t tenants_mapped;
    /**
     * Of them, registered anew: with consecutive ids from `first_tenant`, in the order of the
     * hand-over's `tenants` list (increasing exported id in what np700 exports).
     */
    uint64_t tenants_registered;
    /**
     * Licensed blocks added (an exported block overlapping none of the registry's).
     */
    uint64_t blocks_licensed;
    /**
     * Management numbers assigned, or put in quarantine after their tenant.
     */
    uint64_t numbers;
    /**
     * Bindings installed.
     */
    uint64_t bindings;
    /**
     * Route-entry quarantines installed ("service ended" for former parties).
     */
    uint64_t quarantines;
    /**
     * Binding ids the hand-over uses: its live bindings' and those its quarantines name.
     */
    uint64_t binding_ids;
    /**
     * The id the smallest of those has in the registry (0 if none). With
     * `NP700_IMPORT_KEEP_IDS` every id is unchanged; with `NP700_IMPORT_RENUMBER` they have
     * consecutive ids from this one, in increasing order of the exported ids.
     */
    uint64_t first_binding;
    /**
     * The id of the first tenant registered (0 if none).
     */
    uint32_t first_tenant;
} np700_import_report;

/**
 * An entry of a migration's table: a legacy middle number and where its bindings go.
 */
typedef struct np700_legacy_mapping {
    /**
     * The legacy middle number: 11 digits `1[3-9]…` (a `+86`, `0086` or `86` prefix, spaces
     * and `-` allowed) or a 95 number of 5 to 8 digits.
     */
    struct np700_str legacy;
    /**
     * A 15-digit usage number (that one), an 11-digit management number (the first of its
     * usage numbers, in order, that takes the binding — so one legacy number's bindings gather
     * on the fewest 700 numbers), or empty for automatic selection among the tenant's numbers.
     */
    struct np700_str target;
} np700_legacy_mapping;

/**
 * How to migrate legacy bindings. Zero it for the defaults: automatic selection for every
 * legacy number, no tag, the default policy.
 */
typedef struct np700_legacy_options {
    /**
     * Legacy numbers with a target of their own (at most `NP700_MAX_TABLE_LEN`; a number
     * listed twice takes its last entry). `(NULL, 0)` for none.
     */
    const struct np700_legacy_mapping *table;
    /**
     * Entries in `table`.
     */
    size_t table_len;
    /**
     * Non-zero: legacy numbers not in the table are refused (`NP700_LEGACY_UNMAPPED`); 0: they
     * get a number by automatic selection.
     */
    uint8_t refuse_unlisted;
    /**
     * Automatic selection with a tag: non-zero takes only tagged numbers, 0 prefers them.
     */
    uint8_t tag_strict;
    /**
     * Automatic selection: prefer (or require) management numbers with this tag; empty for any.
     */
    struct np700_str tag;
    /**
     * The policy of every migrated binding; NULL for `np700_policy_default()`.
     */
    const struct np700_policy *policy;
} np700_legacy_options;

/**
 * Counts over a migration.
 */
typedef struct np700_legacy_summary {
    /**
     * Non-blank lines read: one outcome each.
     */
    uint64_t lines;
    /**
     * Lines migrated.
     */
    uint64_t migrated;
    /**
     * Lines not migrated.
     */
    uint64_t refused;
    /**
     * Lines per outcome, indexed by `NP700_LEGACY_*`.
     */
    uint64_t by_result[NP700_LEGACY_RESULTS];
} np700_legacy_summary;

/**
 * What became of a legacy line (`NP700_LEGACY_*`): migrated, or why not. Append-only.
 */
typedef uint32_t np700_legacy_result;

/**
 * One line's outcome in a migration.
 */
typedef struct np700_legacy_line {
    /**
     * The line number in the input (from 1; blank lines are counted but get no entry).
     */
    uint64_t line;
    /**
     * `NP700_LEGACY_*`.
     */
    np700_legacy_result result;
    /**
     * Migrated: the new binding's id; 0 otherwise.
     */
    uint64_t binding;
    /**
     * Migrated: the usage number replacing the legacy X, NUL-terminated; empty otherwise.
     */
    char x[NP700_NUMBER_LEN];
    /**
     * Migrated AXYB: the usage number replacing the legacy Y; empty otherwise.
     */
    char y[NP700_NUMBER_LEN];
    /**
     * Not migrated: why, in words (e.g. `"missing field b"`), NUL-terminated; empty otherwise.
     */
    char why[NP700_LEGACY_WHY_LEN];
} np700_legacy_line;







/**
 * Success.
 */
#define NP700_OK 0

/**
 * A required pointer is NULL (or a string pointer is NULL with a non-zero length), or a pointer
 * is not aligned for its type.
 */
#define NP700_ERR_NULL -101

/**
 * A handle that is stale (already freed), was never returned by np700, or is of another type.
 */
#define NP700_ERR_INVALID_HANDLE -102

/**
 * A string argument is not valid UTF-8.
 */
#define NP700_ERR_INVALID_UTF8 -103

/**
 * A number string, path or list is longer than its documented maximum.
 */
#define NP700_ERR_TOO_LONG -104

/**
 * A number string is malformed or of the wrong kind (see the last error for why).
 */
#define NP700_ERR_BAD_NUMBER -105

/**
 * A selection tag is empty, longer than 32 bytes, or holds whitespace or control characters.
 */
#define NP700_ERR_BAD_TAG -106

/**
 * A code argument (mode, media, status, scenario, …) is not one of its documented values.
 */
#define NP700_ERR_BAD_ENUM -107

/**
 * A numeric argument (a time, a capacity) is outside its documented range.
 */
#define NP700_ERR_OUT_OF_RANGE -108

/**
 * The caller's buffer is too small; the required size is reported.
 */
#define NP700_ERR_BUFFER_TOO_SMALL -109

/**
 * No tenant with this id.
 */
#define NP700_ERR_UNKNOWN_TENANT -201

/**
 * The tenant is suspended or has exited and may not do this.
 */
#define NP700_ERR_TENANT_NOT_ACTIVE -202

/**
 * The tenant already has the requested status.
 */
#define NP700_ERR_TENANT_STATUS_UNCHANGED -203

/**
 * A text field (name, note, order id, consent or external reference) is empty where required,
 * too long, or holds control characters; or a pair cap is invalid.
 */
#define NP700_ERR_INVALID_FIELD -204

/**
 * No binding was ever made with this id.
 */
#define NP700_ERR_UNKNOWN_BINDING -205

/**
 * The binding has ended (released or expired).
 */
#define NP700_ERR_BINDING_ENDED -206

/**
 * The binding belongs to another tenant.
 */
#define NP700_ERR_CROSS_TENANT -207

/**
 * The binding already has the requested status (suspend a suspended binding, …).
 */
#define NP700_ERR_STATUS_UNCHANGED -208

/**
 * The parties are not a valid binding (a party twice, an empty or oversized group, X = Y).
 */
#define NP700_ERR_INVALID_PARTIES -209

/**
 * The expiry is not after now.
 */
#define NP700_ERR_EXPIRY_NOT_IN_FUTURE -210

/**
 * The policy is invalid (no media, a malformed time window, an allow-list outside AXN or over
 * 32 callers).
 */
#define NP700_ERR_INVALID_POLICY -211

/**
 * The update does not fit the binding's mode.
 */
#define NP700_ERR_UPDATE_NOT_APPLICABLE -212

/**
 * An update that changes nothing.
 */
#define NP700_ERR_EMPTY_UPDATE -213

/**
 * The management number still carries live bindings.
 */
#define NP700_ERR_NUMBER_IN_USE -214

/**
 * A licensed block is empty, longer than 100,000 numbers, or runs past the 700 segment.
 */
#define NP700_ERR_INVALID_BLOCK -220

/**
 * A licensed block overlaps one already licensed.
 */
#define NP700_ERR_BLOCK_OVERLAPS -221

/**
 * The management number is not licensed to this platform.
 */
#define NP700_ERR_NOT_LICENSED -222

/**
 * The management number is held by another tenant.
 */
#define NP700_ERR_HELD_BY_ANOTHER_TENANT -223

/**
 * The tenant already holds the management number.
 */
#define NP700_ERR_ALREADY_ASSIGNED -224

/**
 * The management number is in quarantine after being taken back from another tenant.
 */
#define NP700_ERR_NUMBER_IN_QUARANTINE -225

/**
 * The tenant does not hold the management number.
 */
#define NP700_ERR_NOT_HELD -226

/**
 * A given usage number: a party already sees it in a live binding.
 */
#define NP700_ERR_PARTY_ALREADY_BOUND -230

/**
 * A given usage number: an exclusive (AXN) binding holds it.
 */
#define NP700_ERR_HELD_EXCLUSIVELY -231

/**
 * A given usage number: it carries other bindings and the new one is exclusive.
 */
#define NP700_ERR_NOT_FREE -232

/**
 * A given usage number: it carries the tenant's maximum of bindings (pair cap).
 */
#define NP700_ERR_AT_CAPACITY -233

/**
 * A given usage number: a quarantine involving the parties holds it back.
 */
#define NP700_ERR_QUARANTINED -234

/**
 * Automatic selection: the tenant holds no management numbers.
 */
#define NP700_ERR_NO_NUMBERS -240

/**
 * Automatic selection: no number of the tenant has the (strict) tag.
 */
#define NP700_ERR_TAG_UNMATCHED -241

/**
 * Automatic selection: every candidate conflicts with the parties or is full.
 */
#define NP700_ERR_ALL_CANDIDATES_CONFLICT -242

/**
 * Automatic selection: every candidate is in quarantine for these parties.
 */
#define NP700_ERR_ALL_CANDIDATES_QUARANTINED -243

/**
 * Import: the hand-over does not parse (not JSON, or a field of the wrong type).
 */
#define NP700_ERR_HANDOVER_UNREADABLE -250

/**
 * Import: the document is not an np700 hand-over (its `format` is another).
 */
#define NP700_ERR_NOT_A_HANDOVER -251

/**
 * Import: the hand-over's version is not one this library reads.
 */
#define NP700_ERR_HANDOVER_VERSION -252

/**
 * Import: the hand-over contradicts itself or a rule of the state (the last error says where).
 */
#define NP700_ERR_HANDOVER_INCONSISTENT -253

/**
 * Import: the tenant mapping names a tenant the hand-over does not have.
 */
#define NP700_ERR_MAPPING_FROM_UNKNOWN -254

/**
 * Import: the tenant mapping maps onto a tenant the registry does not have.
 */
#define NP700_ERR_MAPPING_TO_UNKNOWN -255

/**
 * Import: the tenant mapping maps two tenants onto one.
 */
#define NP700_ERR_MAPPING_NOT_ONE_TO_ONE -256

/**
 * Import: a mapped tenant's status differs from the exported one.
 */
#define NP700_ERR_TENANT_STATUS_DIFFERS -257

/**
 * Import: a usage number of the hand-over already carries entries in the registry.
 */
#define NP700_ERR_ENTRY_IN_USE -258

/**
 * Import: a binding id to keep is already issued in the registry.
 */
#define NP700_ERR_BINDING_ID_TAKEN -259

/**
 * Import: the registry has no binding ids left to renumber into.
 */
#define NP700_ERR_BINDING_IDS_EXHAUSTED -260

/**
 * No such block rule (never made, or already lifted or swept).
 */
#define NP700_ERR_UNKNOWN_BLOCK_RULE -270

/**
 * The block rule belongs to another tenant or to the platform.
 */
#define NP700_ERR_BLOCK_RULE_NOT_OWNED -271

/**
 * The block request is not valid (a subscriber blocked from itself, both ways without a
 * callee, a binding block on an AXN binding without N).
 */
#define NP700_ERR_INVALID_BLOCK_REQUEST -272

/**
 * The block rules would exceed their limit (the platform's or the tenant's).
 */
#define NP700_ERR_TOO_MANY_BLOCK_RULES -273

/**
 * The routing index cannot grow to hold the change.
 */
#define NP700_ERR_INDEX_FULL -301

/**
 * A file or mapping operation failed (see the last error for the operating system's reason).
 */
#define NP700_ERR_IO -302

/**
 * The file is not an np700 index, or its writer has not finished creating it.
 */
#define NP700_ERR_NOT_AN_INDEX -303

/**
 * The index was written by an incompatible version of np700.
 */
#define NP700_ERR_INCOMPATIBLE_INDEX -304

/**
 * The index file is truncated or its header is corrupt.
 */
#define NP700_ERR_TRUNCATED_INDEX -305

/**
 * Too many live handles of this type (see `NP700_MAX_HANDLES`).
 */
#define NP700_ERR_TOO_MANY_HANDLES -306

/**
 * A journal or snapshot file is damaged where acknowledged data was; the registry refuses to
 * open (the last error names the file and offset).
 */
#define NP700_ERR_CORRUPT_JOURNAL -307

/**
 * The journal failed earlier; no write is acknowledged until the registry is reopened.
 */
#define NP700_ERR_JOURNAL_HALTED -308

/**
 * np700 panicked; the panic was caught at the boundary (please report it with the last error).
 */
#define NP700_ERR_PANIC -901

/**
 * An internal inconsistency (please report it with the last error).
 */
#define NP700_ERR_INTERNAL -902

/**
 * After a sync covering the write, shared by writers arriving meanwhile (the default).
 */
#define NP700_COMMIT_GROUP 0

/**
 * After a sync of its own, made before readers see the write.
 */
#define NP700_COMMIT_PER_WRITE 1

/**
 * At once, before any sync: NOT durable (an acknowledged write may be lost in a crash).
 */
#define NP700_COMMIT_NOT_DURABLE 2

/**
 * Normal service.
 */
#define NP700_TENANT_ACTIVE 1

/**
 * Suspended: no new bindings, and its bindings are refused (`NP700_REJECT_TENANT_SUSPENDED`).
 */
#define NP700_TENANT_SUSPENDED 2

/**
 * Left the pilot: no new bindings; existing ones keep routing until they expire.
 */
#define NP700_TENANT_EXITED 3

/**
 * Parcel and courier delivery.
 */
#define NP700_SCENARIO_DELIVERY 1

/**
 * Food and grocery delivery.
 */
#define NP700_SCENARIO_FOOD_DELIVERY 2

/**
 * Ride-hailing and taxis.
 */
#define NP700_SCENARIO_RIDE_HAILING 3

/**
 * Online retail.
 */
#define NP700_SCENARIO_E_COMMERCE 4

/**
 * Housekeeping and home services.
 */
#define NP700_SCENARIO_HOME_SERVICES 5

/**
 * Recruitment.
 */
#define NP700_SCENARIO_RECRUITMENT 6

/**
 * Real estate and rentals.
 */
#define NP700_SCENARIO_REAL_ESTATE 7

/**
 * Any other scenario registered with the regulator.
 */
#define NP700_SCENARIO_OTHER 8

/**
 * Marketing or unsolicited traffic.
 */
#define NP700_VIOLATION_MARKETING 1

/**
 * Fraud or suspected fraud.
 */
#define NP700_VIOLATION_FRAUD 2

/**
 * 700 numbers used to register internet applications.
 */
#define NP700_VIOLATION_APP_REGISTRATION 3

/**
 * Bindings made without the user's consent.
 */
#define NP700_VIOLATION_MISSING_CONSENT 4

/**
 * Any other breach of the platform agreement.
 */
#define NP700_VIOLATION_OTHER 5

/**
 * A and B reach each other through X.
 */
#define NP700_MODE_AXB 1

/**
 * Anyone reaches A through X; A's own calls to X go to N.
 */
#define NP700_MODE_AXN 2

/**
 * B reaches A through X; A reaches B through Y.
 */
#define NP700_MODE_AXYB 3

/**
 * Members of group G reach B through X; B reaches G's members in order.
 */
#define NP700_MODE_GXB 4

/**
 * A voice call.
 */
#define NP700_MEDIA_VOICE 1

/**
 * A short message.
 */
#define NP700_MEDIA_SMS 2

/**
 * Voice and SMS (a policy's usual set).
 */
#define NP700_MEDIA_ALL 3

/**
 * Both ways.
 */
#define NP700_DIRECTION_BOTH 0

/**
 * Only calls from the A side to the B side.
 */
#define NP700_DIRECTION_A_TO_B_ONLY 1

/**
 * Only calls from the B side to the A side.
 */
#define NP700_DIRECTION_B_TO_A_ONLY 2

/**
 * Routes.
 */
#define NP700_BINDING_ACTIVE 1

/**
 * Kept but refused until resumed.
 */
#define NP700_BINDING_SUSPENDED 2

/**
 * The counterpart stays.
 */
#define NP700_COUNTERPART_NONE 0

/**
 * A new B (AXB, AXYB, GXB), in `number`.
 */
#define NP700_COUNTERPART_B 1

/**
 * A new default destination N (AXN), in `number`; empty refuses A's calls to X.
 */
#define NP700_COUNTERPART_N 2

/**
 * New GXB group members, in `group`.
 */
#define NP700_COUNTERPART_GROUP 3

/**
 * Connect to `targets`, presenting `display`.
 */
#define NP700_DECISION_ROUTE 1

/**
 * Only part of a 700 number was dialled: collect `digits_needed` more digits and ask again.
 */
#define NP700_DECISION_COLLECT_DIGITS 2

/**
 * Play the announcement `announce` and release.
 */
#define NP700_DECISION_ANNOUNCE 3

/**
 * Refuse with `reject` (`sip_status` is the SIP final response to send).
 */
#define NP700_DECISION_REJECT 4

/**
 * The binding was released; the number is in quarantine for this caller ("service ended").
 */
#define NP700_ANNOUNCE_SERVICE_ENDED 1

/**
 * The binding expired; the number is in quarantine for this caller.
 */
#define NP700_ANNOUNCE_EXPIRED 2

/**
 * The dialled string is not a number at all (SIP 484).
 */
#define NP700_REJECT_MALFORMED_NUMBER 1

/**
 * Not a 700 number, or one not licensed to this platform (SIP 404).
 */
#define NP700_REJECT_NOT_OURS 2

/**
 * Licensed but held by no tenant (SIP 404).
 */
#define NP700_REJECT_UNASSIGNED 3

/**
 * No live binding on the number (SIP 404).
 */
#define NP700_REJECT_NO_BINDING 4

/**
 * The number has bindings, but none for this caller, or the caller is not on the allow-list
 * (SIP 403).
 */
#define NP700_REJECT_CALLER_NOT_PERMITTED 5

/**
 * The caller's number is missing or malformed, so no binding can be matched (SIP 403).
 */
#define NP700_REJECT_CALLER_UNIDENTIFIED 6

/**
 * The binding does not allow this medium (SIP 488).
 */
#define NP700_REJECT_MEDIA_NOT_PERMITTED 7

/**
 * The binding does not allow calls in this direction (SIP 403).
 */
#define NP700_REJECT_DIRECTION_BARRED 8

/**
 * Outside the binding's time-of-day window (SIP 480).
 */
#define NP700_REJECT_OUTSIDE_TIME_WINDOW 9

/**
 * The binding is suspended (SIP 480).
 */
#define NP700_REJECT_BINDING_SUSPENDED 10

/**
 * The tenant is suspended (SIP 503).
 */
#define NP700_REJECT_TENANT_SUSPENDED 11

/**
 * AXN: A called its own X and there is no default destination N (SIP 480).
 */
#define NP700_REJECT_NO_DESTINATION 12

/**
 * The routing index could not be read consistently (its writer died mid-change); retry or fail
 * over (SIP 503).
 */
#define NP700_REJECT_UNAVAILABLE 13

/**
 * A block rule (platform, tenant, binding or point-to-point) forbids this caller here (SIP 403).
 */
#define NP700_REJECT_BLOCKED 14

/**
 * The caller was blocked automatically for probing many 700 numbers (SIP 403).
 */
#define NP700_REJECT_AUTO_BLOCKED 15

/**
 * A frequency limit (per caller, usage number or binding) is exhausted for now (SIP 486).
 */
#define NP700_REJECT_RATE_LIMITED 16

/**
 * An SMS from a commercial sender port such as `106…` (SIP 403).
 */
#define NP700_REJECT_COMMERCIAL_SENDER 17

/**
 * An SMS whose text looks like a verification code (SIP 403).
 */
#define NP700_REJECT_VERIFICATION_CODE 18

/**
 * The tenant requires a real-user report for subscriber A and it has not been made (SIP 403).
 */
#define NP700_REJECT_USER_NOT_REPORTED 19

/**
 * Each calling number: every request it makes to a 700 number counts, routed or not.
 */
#define NP700_LIMIT_SUBJECT_CALLER 1

/**
 * Each usage number: every request to it counts, routed or not.
 */
#define NP700_LIMIT_SUBJECT_USAGE_NUMBER 2

/**
 * Each binding: the requests it routes count.
 */
#define NP700_LIMIT_SUBJECT_BINDING 3

/**
 * A's calls to B only.
 */
#define NP700_BLOCK_A_TO_B 1

/**
 * B's calls to A only.
 */
#define NP700_BLOCK_B_TO_A 2

/**
 * Both ways.
 */
#define NP700_BLOCK_BOTH 3

/**
 * Keep the exported binding ids (right for an empty registry); `NP700_ERR_BINDING_ID_TAKEN` if
 * the registry has issued any of them.
 */
#define NP700_IMPORT_KEEP_IDS 0

/**
 * Give them the registry's next ids, in increasing order of the exported ones.
 */
#define NP700_IMPORT_RENUMBER 1

/**
 * Migrated: `binding`, `x` (and `y`) say to what.
 */
#define NP700_LEGACY_MIGRATED 0

/**
 * Not a JSON object of the record format, or a field of the wrong type.
 */
#define NP700_LEGACY_MALFORMED_LINE 1

/**
 * A field the mode requires is absent (`why` names it).
 */
#define NP700_LEGACY_MISSING_FIELD 2

/**
 * A number field does not parse (`why` names the field).
 */
#define NP700_LEGACY_MALFORMED_NUMBER 3

/**
 * The mode is not one of `AXB`, `AXN`, `AXYB`, `GXB`.
 */
#define NP700_LEGACY_UNKNOWN_MODE 4

/**
 * No consent reference: no binding is made without the user's consent.
 */
#define NP700_LEGACY_MISSING_CONSENT 5

/**
 * The binding has already expired at `now`.
 */
#define NP700_LEGACY_EXPIRED_ALREADY 6

/**
 * The legacy number is not in the table and unlisted numbers are refused.
 */
#define NP700_LEGACY_UNMAPPED 7

/**
 * No 700 usage number is left for it (the tenant's, or the target management number's).
 */
#define NP700_LEGACY_NO_NUMBER_LEFT 8

/**
 * The 700 number it maps to cannot carry it (a party already sees it, it is exclusive or full,
 * or a quarantine holds it back).
 */
#define NP700_LEGACY_CONFLICT 9

/**
 * The bind path refused it for another reason (invalid parties or policy, a reference too long,
 * the tenant not active, a number not the tenant's, …; `why` says which).
 */
#define NP700_LEGACY_REFUSED 10











#ifdef __cplusplus
extern "C" {
#endif // __cplusplus

/**
 * A short, static, NUL-terminated description of a status, e.g.
 * `"NP700_ERR_NULL: a required pointer is NULL or misaligned"`.
 *
 * Never NULL: an unknown code gives `"unknown status"`. The string lives for the whole
 * program and must not be freed. Safe to call from any thread.
 */
const char *np700_status_str(np700_status status);

/**
 * Copies this thread's last error message — the message of the most recent call on this
 * thread that returned an error — into `buf` as a NUL-terminated UTF-8 string.
 *
 * - `buf_len` is the size of `buf` in bytes. If the message and its NUL fit, it is copied and
 *   `NP700_OK` returned; otherwise `NP700_ERR_BUFFER_TOO_SMALL` is returned and `buf` is left
 *   untouched. Call with `(NULL, 0)` to ask for the size alone.
 * - `needed`, if not NULL, receives the size the message needs including its NUL — on success
 *   and on `NP700_ERR_BUFFER_TOO_SMALL` alike (the one output written on an error).
 * - The message is empty when no call on this thread has failed yet. Successful calls leave it
 *   as it was (like `errno`), and this function never changes it, even when it fails.
 * - Messages are at most 511 bytes (longer ones are cut at a character boundary).
 *
 * Returns `NP700_ERR_NULL` if `buf` is NULL while `buf_len` is not 0.
 *
 * # Safety
 *
 * `buf` must be NULL or valid for writes of `buf_len` bytes; `needed` must be NULL or valid
 * for a write of one `size_t`.
 */
np700_status np700_last_error(char *buf,
                              size_t buf_len,
                              size_t *needed);

/**
 * The library's version as a static NUL-terminated string, e.g. `"0.1.0"`. Never NULL; must not
 * be freed. Safe to call from any thread.
 */
const char *np700_version(void);

/**
 * The library's version as one number, encoded as `NP700_VERSION_NUMBER` is: compare it with
 * the macro to detect a header/library mismatch. Safe to call from any thread.
 */
uint32_t np700_version_number(void);

/**
 * Creates a configuration with the defaults: 24 h binding quarantine, 30 days number
 * quarantine, 200 bindings per usage number, an initial capacity of `NP700_DEFAULT_CAPACITY`
 * bindings, and an index in private memory. On success `*out` is the new handle; free it with
 * `np700_config_free()`.
 *
 * # Safety
 *
 * `out` must be NULL (refused) or valid for a write of one pointer.
 */
np700_status np700_config_new(struct np700_config **out);

/**
 * Frees a configuration. NULL is a no-op (`NP700_OK`); a stale or already freed handle is
 * `NP700_ERR_INVALID_HANDLE`. Registries created from it are not affected.
 *
 * # Safety
 *
 * None beyond passing a value that was returned as an `np700_config *` (or NULL): stale values
 * are detected.
 */
np700_status np700_config_free(struct np700_config *config);

/**
 * Sets how long the (usage number, party) pairs of an ended binding are held back, in seconds
 * (0 ..= `NP700_MAX_QUARANTINE_SECS`, else `NP700_ERR_OUT_OF_RANGE`).
 *
 * # Safety
 *
 * None beyond passing a handle (stale ones are detected).
 */
np700_status np700_config_set_binding_quarantine(struct np700_config *config,
                                                 uint64_t secs);

/**
 * Sets how long a management number taken back from a tenant is held back before another tenant
 * may have it, in seconds (0 ..= `NP700_MAX_QUARANTINE_SECS`, else `NP700_ERR_OUT_OF_RANGE`).
 *
 * # Safety
 *
 * None beyond passing a handle (stale ones are detected).
 */
np700_status np700_config_set_number_quarantine(struct np700_config *config,
                                                uint64_t secs);

/**
 * Sets the default cap on the bindings one usage number carries for a tenant (AXB, AXYB, GXB):
 * 1 ..= 65535 (0 is `NP700_ERR_OUT_OF_RANGE`). Tenants may set their own.
 *
 * # Safety
 *
 * None beyond passing a handle (stale ones are detected).
 */
np700_status np700_config_set_default_pair_cap(struct np700_config *config,
                                               uint16_t pair_cap);

/**
 * Sets the initial capacity of the routing index, in live bindings (0 ..=
 * `NP700_MAX_CAPACITY`, else `NP700_ERR_OUT_OF_RANGE`). The index grows past it as needed;
 * sizing it for the expected peak avoids rebuilding it while running.
 *
 * # Safety
 *
 * None beyond passing a handle (stale ones are detected).
 */
np700_status np700_config_set_capacity(struct np700_config *config,
                                       size_t bindings);

/**
 * Publishes the routing index of registries created from this configuration in a shared
 * mapping at `path` (a file, normally under `/dev/shm`), for reader processes to attach with
 * `np700_reader_attach()`. `(NULL, 0)` goes back to private memory. The path is UTF-8, at most
 * `NP700_MAX_PATH_LEN` bytes (`NP700_ERR_TOO_LONG`); the file is created when the registry is,
 * with `<path>.ctl` beside it (the control region readers count and queue records into) and,
 * while the index grows, `<path>.new`. Freeing the registry leaves `path` and `<path>.ctl` in
 * place — readers keep answering, and the next writer at `path` takes them over —; remove
 * both to decommission (under `/dev/shm` they hold memory).
 *
 * # Safety
 *
 * `path` must be NULL or valid for reads of `path_len` bytes.
 */
np700_status np700_config_set_shared_path(struct np700_config *config,
                                          const char *path,
                                          size_t path_len);

/**
 * Sets how registries opened from this configuration with `np700_registry_open()` keep their
 * journal: `commit` is an `NP700_COMMIT_*` value (else `NP700_ERR_BAD_ENUM`);
 * `snapshot_after_bytes` writes a snapshot, within the write that crosses it, once the current
 * journal segment holds that many bytes (0: only when `np700_registry_snapshot()` is called).
 * The defaults are `NP700_COMMIT_GROUP` and 256 MiB. No effect on `np700_registry_new()`.
 *
 * # Safety
 *
 * None beyond passing a handle (stale ones are detected).
 */
np700_status np700_config_set_journal(struct np700_config *config,
                                      np700_commit commit,
                                      uint64_t snapshot_after_bytes);

/**
 * Creates a registry from a configuration. On success `*out` is the new handle; free it with
 * `np700_registry_free()`. The configuration is copied: it may be changed or freed afterwards.
 *
 * With a shared path set (`np700_config_set_shared_path()`), the index file is created there
 * (replacing a previous writer's, whose readers move over): `NP700_ERR_IO` if it cannot be.
 * `NP700_ERR_IO` too when the memory for the controls (see `np700_config_set_records()` and
 * `np700_config_set_control_sizes()`) cannot be mapped.
 *
 * # Safety
 *
 * `out` must be NULL (refused) or valid for a write of one pointer.
 */
np700_status np700_registry_new(const struct np700_config *config,
                                struct np700_registry **out);

/**
 * Frees a registry. NULL is a no-op (`NP700_OK`); a stale or already freed handle is
 * `NP700_ERR_INVALID_HANDLE`. A shared index file stays where it is (readers keep answering
 * from it, frozen); a new registry at the same path replaces it.
 *
 * # Safety
 *
 * None beyond passing a value returned as an `np700_registry *` (or NULL): stale values are
 * detected.
 */
np700_status np700_registry_free(struct np700_registry *registry);

/**
 * Registers a tenant at `now` and writes its id (assigned in order from 1, never reused) to
 * `*out_tenant`.
 *
 * - `name`: 1..=128 bytes of UTF-8 without control characters (`NP700_ERR_INVALID_FIELD`).
 * - `scenarios`: `scenarios_len` `NP700_SCENARIO_*` codes (`NP700_ERR_BAD_ENUM`), at most
 *   `NP700_MAX_LIST_LEN`; `(NULL, 0)` for none. Duplicates are ignored.
 * - `pair_cap`: the most bindings one usage number carries for this tenant; 0 takes the
 *   configuration's default.
 *
 * # Safety
 *
 * `name` must be NULL or valid for reads of `name_len` bytes; `scenarios` NULL or valid for
 * reads of `scenarios_len` values; `out_tenant` valid for a write.
 */
np700_status np700_registry_register_tenant(const struct np700_registry *registry,
                                            const char *name,
                                            size_t name_len,
                                            const np700_scenario *scenarios,
                                            size_t scenarios_len,
                                            uint16_t pair_cap,
                                            uint64_t now,
                                            uint32_t *out_tenant);

/**
 * Changes a tenant's status at `now` (`NP700_TENANT_*`, else `NP700_ERR_BAD_ENUM`).
 * Suspending a tenant makes its bindings refuse calls at once; reactivating restores them.
 *
 * # Safety
 *
 * None beyond passing a handle (stale ones are detected).
 */
np700_status np700_registry_set_tenant_status(const struct np700_registry *registry,
                                              uint32_t tenant,
                                              np700_tenant_status status,
                                              uint64_t now);

/**
 * Adds a violation (`NP700_VIOLATION_*`) with a free-text note (at most 256 bytes of UTF-8
 * without control characters; may be empty) to a tenant's credit record at `now`.
 *
 * # Safety
 *
 * `note` must be NULL or valid for reads of `note_len` bytes.
 */
np700_status np700_registry_record_violation(const struct np700_registry *registry,
                                             uint32_t tenant,
                                             np700_violation kind,
                                             const char *note,
                                             size_t note_len,
                                             uint64_t now);

/**
 * Reports a tenant (`NP700_ERR_UNKNOWN_TENANT` if there is none with this id).
 *
 * # Safety
 *
 * `out` must be valid for a write of one `np700_tenant_info`.
 */
np700_status np700_registry_tenant(const struct np700_registry *registry,
                                   uint32_t tenant,
                                   struct np700_tenant_info *out);

/**
 * Licenses `count` management numbers starting at `first` (an 11-digit `700…` number in any
 * dial form) to the platform at `now`. Blocks may not overlap (`NP700_ERR_BLOCK_OVERLAPS`) and
 * hold 1..=100,000 numbers inside the segment (`NP700_ERR_INVALID_BLOCK`). A registry holds at
 * most 32,768 licensed management numbers in all (the routing index's directory): a block that
 * would take it past that is refused with `NP700_ERR_INDEX_FULL` and changes nothing.
 *
 * # Safety
 *
 * `first` must be NULL or valid for reads of `first_len` bytes.
 */
np700_status np700_registry_license_block(const struct np700_registry *registry,
                                          const char *first,
                                          size_t first_len,
                                          uint32_t count,
                                          uint64_t now);

/**
 * Assigns a licensed management number (and so its 10,000 usage numbers) to a tenant at `now`,
 * with selection tags (each 1..=32 bytes without whitespace or control characters,
 * `NP700_ERR_BAD_TAG`; at most `NP700_MAX_LIST_LEN`; `(NULL, 0)` for none). A number belongs to
 * one tenant at a time: `NP700_ERR_HELD_BY_ANOTHER_TENANT`, `NP700_ERR_NUMBER_IN_QUARANTINE`.
 *
 * # Safety
 *
 * `number` must be NULL or valid for reads of `number_len` bytes; `tags` NULL or valid for
 * reads of `tags_len` `np700_str`, each valid as a string argument.
 */
np700_status np700_registry_assign_number(const struct np700_registry *registry,
                                          uint32_t tenant,
                                          const char *number,
                                          size_t number_len,
                                          const struct np700_str *tags,
                                          size_t tags_len,
                                          uint64_t now);

/**
 * Takes a management number back from a tenant at `now`; it goes to quarantine for the
 * configured time before another tenant may have it. `NP700_ERR_NUMBER_IN_USE` while it still
 * carries live bindings.
 *
 * # Safety
 *
 * `number` must be NULL or valid for reads of `number_len` bytes.
 */
np700_status np700_registry_reclaim_number(const struct np700_registry *registry,
                                           uint32_t tenant,
                                           const char *number,
                                           size_t number_len,
                                           uint64_t now);

/**
 * Sweeps at `now`: bindings past their expiry end (their pairs go to quarantine) and ended
 * quarantines are dropped. Writes how many bindings expired to `*out_expired`. Expired bindings
 * never route even before a sweep; sweeping keeps memory and statistics current.
 *
 * # Safety
 *
 * `out_expired` must be valid for a write of one `size_t`.
 */
np700_status np700_registry_sweep(const struct np700_registry *registry,
                                  uint64_t now,
                                  size_t *out_expired);

/**
 * Reports counts over the registry. Takes the writer's lock and walks the bindings (O(live
 * bindings)): for monitoring, not for every call. Never blocks `np700_route()`.
 *
 * # Safety
 *
 * `out` must be valid for a write of one `np700_stats`.
 */
np700_status np700_registry_stats(const struct np700_registry *registry,
                                  struct np700_stats *out);

/**
 * Opens the journaled registry in directory `dir` (UTF-8, at most `NP700_MAX_PATH_LEN` bytes;
 * created if missing): recovers everything it acknowledged — the newest snapshot plus the
 * journal after it —, cuts a torn tail, and continues the journal. On success `*out` is the
 * handle (free it with `np700_registry_free()`) and, if `recovery` is not NULL, `*recovery`
 * says what was found.
 *
 * With the archive on (the default; see `np700_config_set_archive()`) it also keeps route
 * records, call records and binding history in `<dir>/archive/`.
 *
 * From then on every write returns `NP700_OK` only once its events are durable (see the
 * configuration's `np700_config_set_journal()`), and after a failed write or sync every write
 * returns `NP700_ERR_JOURNAL_HALTED` until the registry is freed and opened again.
 *
 * Errors: `NP700_ERR_CORRUPT_JOURNAL` when data that was acknowledged is damaged (the last
 * error names the file and offset; nothing is changed on disk), `NP700_ERR_IO` when the
 * directory cannot be read or written, `NP700_ERR_INDEX_FULL` when the recovered state does
 * not fit an index.
 *
 * # Safety
 *
 * `dir` must be NULL or valid for reads of `dir_len` bytes; `out` valid for a write of one
 * pointer; `recovery` NULL or valid for a write of one `np700_recovery`.
 */
np700_status np700_registry_open(const struct np700_config *config,
                                 const char *dir,
                                 size_t dir_len,
                                 struct np700_registry **out,
                                 struct np700_recovery *recovery);

/**
 * Writes a snapshot of a journaled registry and removes the journal it replaces; `*seq` (if
 * not NULL) is the seq of the last event it holds. Writes wait meanwhile (about 0.2 s per
 * million bindings): call it at a quiet moment. `NP700_ERR_IO` if a step fails (the registry
 * then halts) or the registry has no journal (created by `np700_registry_new()`).
 *
 * # Safety
 *
 * `seq` must be NULL or valid for a write of one `uint64_t`.
 */
np700_status np700_registry_snapshot(const struct np700_registry *registry,
                                     uint64_t *seq);

/**
 * The default policy: voice and SMS, both directions, any caller, any time, not recorded.
 */
struct np700_policy np700_policy_default(void);

/**
 * Makes a binding at `now` and reports it (its id, and the usage numbers picked) in `*out`.
 *
 * Every rule of the 700 segment is checked: the tenant is active and uses only its own numbers,
 * a subscriber never sees one usage number in two live bindings, AXN holds its number
 * exclusively, the pair cap, quarantines, consent. A refusal changes nothing and has its own
 * `-2xx` status.
 *
 * # Safety
 *
 * `request` must point to an initialised `np700_bind_request` whose pointers are valid as
 * documented there; `out` must be valid for a write of one `np700_binding_info`.
 */
np700_status np700_registry_bind(const struct np700_registry *registry,
                                 const struct np700_bind_request *request,
                                 uint64_t now,
                                 struct np700_binding_info *out);

/**
 * Changes a binding at `now` and reports it as it is now in `*out`. Pairs the change drops go
 * to quarantine.
 *
 * # Safety
 *
 * `request` must point to an initialised `np700_update_request` whose pointers are valid as
 * documented there; `out` must be valid for a write of one `np700_binding_info`.
 */
np700_status np700_registry_update(const struct np700_registry *registry,
                                   const struct np700_update_request *request,
                                   uint64_t now,
                                   struct np700_binding_info *out);

/**
 * Suspends a binding at `now` (anti-fraud, or on request): it refuses calls
 * (`NP700_REJECT_BINDING_SUSPENDED`) until resumed.
 *
 * # Safety
 *
 * None beyond passing a handle (stale ones are detected).
 */
np700_status np700_registry_suspend(const struct np700_registry *registry,
                                    uint32_t tenant,
                                    uint64_t binding,
                                    uint64_t now);

/**
 * Resumes a suspended binding at `now`.
 *
 * # Safety
 *
 * None beyond passing a handle (stale ones are detected).
 */
np700_status np700_registry_resume(const struct np700_registry *registry,
                                   uint32_t tenant,
                                   uint64_t binding,
                                   uint64_t now);

/**
 * Releases a binding at `now`; its pairs go to quarantine, so a former counterpart calling X
 * hears `NP700_ANNOUNCE_SERVICE_ENDED` instead of reaching the number's next user.
 *
 * # Safety
 *
 * None beyond passing a handle (stale ones are detected).
 */
np700_status np700_registry_unbind(const struct np700_registry *registry,
                                   uint32_t tenant,
                                   uint64_t binding,
                                   uint64_t now);

/**
 * Reports a live binding of `tenant`: `NP700_ERR_UNKNOWN_BINDING` if no binding has this id,
 * `NP700_ERR_BINDING_ENDED` once it was released or swept, `NP700_ERR_CROSS_TENANT` if another
 * tenant owns it.
 *
 * # Safety
 *
 * `out` must be valid for a write of one `np700_binding_info`.
 */
np700_status np700_registry_binding(const struct np700_registry *registry,
                                    uint32_t tenant,
                                    uint64_t binding,
                                    struct np700_binding_info *out);

/**
 * Routes a call or SMS: "`caller` dialled `dialed` — where does it go?", answered into `*out`.
 *
 * - `caller`: the caller's number as the switch sees it (mobile, fixed line, E.164, `tel:`/`sip:`
 *   URI, separators). Empty or malformed is not an error: the caller is then unidentified and
 *   refused once a binding would need it (`NP700_REJECT_CALLER_UNIDENTIFIED`).
 * - `dialed`: the dialled string (`700…` with 11 or 15 digits, `+86`/`0086`/`86` prefixes,
 *   separators). A string that is not a 700 number is a decision
 *   (`NP700_REJECT_NOT_OURS`, `NP700_REJECT_MALFORMED_NUMBER`), not an error.
 * - `media`: `NP700_MEDIA_VOICE` or `NP700_MEDIA_SMS` (else `NP700_ERR_BAD_ENUM`).
 * - `now`: the switch's clock, seconds since the Unix epoch (at most `NP700_TIME_MAX`).
 *
 * Errors are about the arguments only: NULL pointers, strings over `NP700_MAX_NUMBER_LEN`
 * bytes (`NP700_ERR_TOO_LONG`) or not UTF-8, a bad media code or time, a stale handle.
 *
 * Lock-free and wait-free of writers: no lock, no allocation, no system call (a lookup that
 * keeps finding an entry mid-write for 200 ms answers `NP700_REJECT_UNAVAILABLE`). Call it from
 * any number of threads.
 *
 * # Safety
 *
 * `caller` and `dialed` must be NULL or valid for reads of their lengths; `out` must be valid
 * for a write of one `np700_decision`.
 */
np700_status np700_route(const struct np700_registry *registry,
                         const char *caller,
                         size_t caller_len,
                         const char *dialed,
                         size_t dialed_len,
                         np700_media media,
                         uint64_t now,
                         struct np700_decision *out);

/**
 * A static, NUL-terminated description of a reject reason (e.g. `"caller not permitted"`);
 * `"unknown"` for a code that is not one. Never NULL; must not be freed.
 */
const char *np700_reject_reason_str(np700_reject_reason reason);

/**
 * The SIP final response for a reject reason (e.g. 404, 403, 480), or 0 for a code that is not
 * one.
 */
uint16_t np700_reject_reason_sip_status(np700_reject_reason reason);

/**
 * A static, NUL-terminated description of an announcement reason (`"service ended"`,
 * `"binding expired"`); `"unknown"` otherwise. Never NULL; must not be freed.
 */
const char *np700_announce_reason_str(np700_announce_reason reason);

/**
 * Adds a frequency limit: "at most `max` requests per `subject` in each window of
 * `window_secs` seconds". Windows are fixed and aligned to the Unix epoch (a 60 s limit resets
 * on the minute); the request past the limit and every later one in the window are refused
 * with `NP700_REJECT_RATE_LIMITED` (SIP 486). The limit holds across every router of a
 * registry made from this configuration: its threads and the reader processes attached to its
 * shared index.
 *
 * - `subject`: an `NP700_LIMIT_SUBJECT_*` value (else `NP700_ERR_BAD_ENUM`).
 * - `media`: which requests count: `NP700_MEDIA_VOICE`, `NP700_MEDIA_SMS`, or
 *   `NP700_MEDIA_ALL` for both (else `NP700_ERR_BAD_ENUM`).
 * - `window_secs`: 1 ..= `UINT32_MAX` (0 is `NP700_ERR_OUT_OF_RANGE`); e.g. 60, 3600, 86400.
 * - `max`: requests allowed per window, 1 ..= `UINT32_MAX` (0 is `NP700_ERR_OUT_OF_RANGE`).
 *
 * A configuration holds at most `NP700_MAX_RATE_LIMITS` limits: one more is
 * `NP700_ERR_TOO_LONG` (and changes nothing). No limits by default; see
 * `np700_config_clear_rate_limits()`.
 *
 * # Safety
 *
 * None beyond passing a handle (stale ones are detected).
 */
np700_status np700_config_add_rate_limit(struct np700_config *config,
                                         np700_limit_subject subject,
                                         np700_media media,
                                         uint32_t window_secs,
                                         uint32_t max);

/**
 * Removes every frequency limit of the configuration (the default: none).
 *
 * # Safety
 *
 * None beyond passing a handle (stale ones are detected).
 */
np700_status np700_config_clear_rate_limits(struct np700_config *config);

/**
 * Sets probing detection: a caller that dials more than `distinct_numbers` different 700
 * numbers within a window of `window_secs` seconds is blocked for `block_secs` seconds
 * (`NP700_REJECT_AUTO_BLOCKED`, SIP 403), at once in every router of the registry, and the
 * block is journaled as an automatic block rule.
 *
 * `(0, 0, 0)` turns probing off (the default). Otherwise each value is 1 ..= `UINT32_MAX`: a
 * zero among non-zero values is `NP700_ERR_OUT_OF_RANGE`.
 *
 * # Safety
 *
 * None beyond passing a handle (stale ones are detected).
 */
np700_status np700_config_set_probing(struct np700_config *config,
                                      uint32_t distinct_numbers,
                                      uint32_t window_secs,
                                      uint32_t block_secs);

/**
 * Sets the route records: with `enabled`, every route decision (on the registry's threads and
 * on reader processes of its shared index) queues an `np700_route_record` for
 * `np700_registry_drain_records()`. The queue has `record_shards` shards (routers pick one by
 * thread, so threads seldom share one) of `records_per_shard` records each; a full shard drops
 * new records and counts them (`np700_registry_records_dropped()`) instead of making a router
 * wait. Both sizes are 1 ..= `NP700_MAX_CONTROL_SIZE` (else `NP700_ERR_OUT_OF_RANGE`), also
 * when disabled. A record takes 64 bytes of queue; the memory is mapped when a registry is
 * created (touched as it fills), and a total that cannot be mapped is `NP700_ERR_IO` there.
 *
 * The default: enabled, 4 shards of 16384 records. Disabled, with no limits and no probing, a
 * route runs no dynamic control at all.
 *
 * # Safety
 *
 * None beyond passing a handle (stale ones are detected).
 */
np700_status np700_config_set_records(struct np700_config *config,
                                      bool enabled,
                                      uint32_t record_shards,
                                      uint32_t records_per_shard);

/**
 * Sets the sizes of the tables routers share for the controls, each 1 ..=
 * `NP700_MAX_CONTROL_SIZE` (else `NP700_ERR_OUT_OF_RANGE`):
 *
 * - `counter_slots`: counter slots per frequency limit (and for probing): about twice the
 *   subjects active in one window. A request whose subject finds no free slot is let through
 *   uncounted (`np700_registry_untracked()`). Default 131072.
 * - `mark_slots`: slots for automatic-block marks: about twice the callers blocked at once.
 *   Default 8192.
 * - `block_rules`: block rules the routers' table holds. Default 65536.
 *
 * Each counter slot takes 8 bytes per limit (and two tables for probing), each mark slot 8
 * bytes; a total that cannot be mapped is `NP700_ERR_IO` when a registry is created.
 *
 * # Safety
 *
 * None beyond passing a handle (stale ones are detected).
 */
np700_status np700_config_set_control_sizes(struct np700_config *config,
                                            uint32_t counter_slots,
                                            uint32_t mark_slots,
                                            uint32_t block_rules);

/**
 * Takes up to `capacity` route records from the registry's queues into `out[0 ..]` and writes
 * how many to `*written` (0 when there are none). The queues are filled by every router of the
 * registry: its own `np700_route()` calls and, with a shared index, the `np700_reader_route()`
 * calls of every attached reader process — readers do not drain, the writer drains for them.
 * Records of one thread come out in the order it routed them; across threads, no order.
 *
 * Call it regularly (e.g. every 100 ms, until it returns fewer than `capacity`): a full queue
 * drops new records (`np700_registry_records_dropped()`) rather than make a router wait. A
 * record whose router was killed while queuing it holds back the later records of its queue
 * shard until a drain finds it still unfinished 1 s after first finding it so, and gives it up
 * (`np700_registry_records_abandoned()`).
 * `(NULL, 0)` drains nothing. Allocates nothing; may run alongside routes and writes, but two
 * concurrent drains take turns and may each get part of the records.
 *
 * Errors: `out` NULL with a non-zero capacity, or misaligned; `written` NULL or misaligned
 * (`NP700_ERR_NULL`); a stale handle. Nothing is taken from the queues on an error.
 *
 * # Safety
 *
 * `out` must be NULL (with `capacity` 0) or valid for writes of `capacity` records; `written`
 * valid for a write of one `size_t`.
 */
np700_status np700_registry_drain_records(const struct np700_registry *registry,
                                          struct np700_route_record *out,
                                          size_t capacity,
                                          size_t *written);

/**
 * Writes to `*out` how many route records of the registry's routers (its threads and its
 * readers) were lost so far: dropped because their queue was full, plus those abandoned
 * (`np700_registry_records_abandoned()`). Reports and the archive count them as incomplete.
 *
 * # Safety
 *
 * `out` must be valid for a write of one `uint64_t`.
 */
np700_status np700_registry_records_dropped(const struct np700_registry *registry,
                                            uint64_t *out);

/**
 * Writes to `*out` how many of the records counted by `np700_registry_records_dropped()` a
 * router had begun to queue and never finished: a reader process killed (SIGKILL, the OOM
 * killer) between claiming a queue cell and publishing its record, or stopped there for over
 * 1 s. `np700_registry_drain_records()` gives such a cell up once it has stayed unpublished
 * for 1 s, so the later records of that queue shard are delayed by at most that much instead
 * of lost until the writer restarts (the cell is not used again: that shard holds one record
 * less until then). A stopped reader that resumes after its cell was given up changes
 * nothing: its record stays counted here, once, and is never delivered.
 *
 * # Safety
 *
 * `out` must be valid for a write of one `uint64_t`.
 */
np700_status np700_registry_records_abandoned(const struct np700_registry *registry,
                                              uint64_t *out);

/**
 * Writes to `*out` how many requests the registry's routers (its threads and its readers) let
 * through uncounted so far because a counter table had no free slot for their subject (see
 * `counter_slots` of `np700_config_set_control_sizes()`). Non-zero means the tables are too
 * small for the traffic.
 *
 * # Safety
 *
 * `out` must be valid for a write of one `uint64_t`.
 */
np700_status np700_registry_untracked(const struct np700_registry *registry,
                                      uint64_t *out);

/**
 * Blocks a caller at `now` and writes the new rule's id to `*block_id`. The rule refuses the
 * caller's calls and SMS (`NP700_REJECT_BLOCKED`, SIP 403) in every router of the registry,
 * its threads and the readers of its shared index, from the moment this returns.
 *
 * - `tenant`: who asks. 0 is the platform operator: the rule applies on every binding, and
 *   without a callee before anything is looked up (the caller learns nothing about which
 *   numbers are live). A tenant's rule applies only on that tenant's bindings.
 * - `caller`: whose calls (any form a subscriber number takes; `NP700_ERR_BAD_NUMBER`).
 * - `callee`: to whom; `(NULL, 0)` is anyone. A call is refused when the binding would connect
 *   it to the callee (any destination of a GXB group).
 * - `both_ways`: also the callee's calls to the caller (needs a callee).
 * - `expires_at`: when the rule stops applying (after `now`, at most `NP700_TIME_MAX`); 0 or
 *   `NP700_TIME_NEVER` for until lifted.
 * - `note`: why (at most `NP700_MAX_NOTE_LEN` bytes of UTF-8 without control characters,
 *   `NP700_ERR_INVALID_FIELD`; may be empty).
 *
 * Refusals: `NP700_ERR_UNKNOWN_TENANT`, `NP700_ERR_INVALID_BLOCK_REQUEST` (a caller blocked
 * from itself, both ways without a callee), `NP700_ERR_EXPIRY_NOT_IN_FUTURE`,
 * `NP700_ERR_TOO_MANY_BLOCK_RULES` (65,536 rules in all, 8,192 per tenant). The rule is
 * journaled like any write; `np700_registry_lift_block()` removes it.
 *
 * # Safety
 *
 * `caller`, `callee` and `note` must be NULL or valid for reads of their lengths; `block_id`
 * valid for a write of one `uint64_t`.
 */
np700_status np700_registry_block_caller(const struct np700_registry *registry,
                                         uint32_t tenant,
                                         const char *caller,
                                         size_t caller_len,
                                         const char *callee,
                                         size_t callee_len,
                                         bool both_ways,
                                         uint64_t expires_at,
                                         const char *note,
                                         size_t note_len,
                                         uint64_t now,
                                         uint64_t *block_id);

/**
 * Blocks calls between the parties of one live binding, through that binding, at `now`
 * (`NP700_REJECT_BLOCKED`), and writes the id of the new rule to `*block_id`. A GXB binding
 * gets one rule per group member, with consecutive ids from `*block_id` in the group's order
 * (lift each).
 *
 * - `tenant`: who asks: the binding's tenant (another is `NP700_ERR_CROSS_TENANT`), or 0 for
 *   the platform operator (any binding).
 * - `direction`: an `NP700_BLOCK_*` value (else `NP700_ERR_BAD_ENUM`).
 * - `expires_at`, `note`: as for `np700_registry_block_caller()`.
 *
 * Refusals besides those of `np700_registry_block_caller()`: `NP700_ERR_UNKNOWN_BINDING`,
 * `NP700_ERR_BINDING_ENDED`, `NP700_ERR_INVALID_BLOCK_REQUEST` (an AXN binding without N).
 *
 * The rules belong to the binding's tenant, whoever made them: it may lift them (another
 * tenant may not), and they count against its 8,192 rules. A sweep removes them once the
 * binding has ended.
 *
 * # Safety
 *
 * `note` must be NULL or valid for reads of `note_len` bytes; `block_id` valid for a write of
 * one `uint64_t`.
 */
np700_status np700_registry_block_binding(const struct np700_registry *registry,
                                          uint32_t tenant,
                                          uint64_t binding_id,
                                          np700_block_direction direction,
                                          uint64_t expires_at,
                                          const char *note,
                                          size_t note_len,
                                          uint64_t now,
                                          uint64_t *block_id);

/**
 * Lifts a block rule at `now`: calls it refused route again at once. `tenant` is who asks: a
 * tenant lifts only its own rules (`NP700_ERR_BLOCK_RULE_NOT_OWNED` for another tenant's or a
 * platform rule); 0, the platform operator, lifts any rule, automatic blocks included.
 * `NP700_ERR_UNKNOWN_BLOCK_RULE` for a rule never made, already lifted, or swept.
 *
 * # Safety
 *
 * None beyond passing a handle (stale ones are detected).
 */
np700_status np700_registry_lift_block(const struct np700_registry *registry,
                                       uint32_t tenant,
                                       uint64_t block_id,
                                       uint64_t now);

/**
 * Sets at `now` whether a tenant requires real-user reports. While it does, its bindings whose
 * subscriber A (A in AXB, AXN and AXYB; in GXB, B) it has not reported with
 * `np700_registry_report_real_user()` may still be made but route nothing:
 * `NP700_REJECT_USER_NOT_REPORTED` (SIP 403). Setting what is already set changes nothing.
 * `NP700_ERR_UNKNOWN_TENANT` for a tenant that does not exist (0 included).
 *
 * # Safety
 *
 * None beyond passing a handle (stale ones are detected).
 */
np700_status np700_registry_set_real_user_required(const struct np700_registry *registry,
                                                   uint32_t tenant,
                                                   bool required,
                                                   uint64_t now);

/**
 * Records at `now` that `tenant` reported `subscriber` as a real user (`reported` true), or
 * withdraws the report (false); effective at once for the tenant's bindings whose subscriber A
 * it is. Recording what is already recorded changes nothing. `subscriber` is a subscriber
 * number in any form (`NP700_ERR_BAD_NUMBER`); `NP700_ERR_UNKNOWN_TENANT` for a tenant that
 * does not exist.
 *
 * # Safety
 *
 * `subscriber` must be NULL or valid for reads of `subscriber_len` bytes.
 */
np700_status np700_registry_report_real_user(const struct np700_registry *registry,
                                             uint32_t tenant,
                                             const char *subscriber,
                                             size_t subscriber_len,
                                             bool reported,
                                             uint64_t now);

/**
 * Adds a commercial sender prefix: an SMS whose sender's national number (after any
 * `+86`/`0086`/`86`) starts with it is refused, `NP700_REJECT_COMMERCIAL_SENDER` (SIP 403).
 * `prefix` is 1 ..= `NP700_MAX_SMS_PREFIX_DIGITS` ASCII digits (empty or other characters:
 * `NP700_ERR_BAD_NUMBER`; longer: `NP700_ERR_TOO_LONG`). A prefix already there is not added
 * twice; one past `NP700_MAX_SMS_PREFIXES` is `NP700_ERR_TOO_LONG` (and changes nothing).
 *
 * The default configuration has `106` (China's enterprise and bulk SMS ports) and the
 * verification-code keywords of simplified and traditional Chinese and English; start from
 * `np700_config_clear_sms_rules()` to set your own.
 *
 * # Safety
 *
 * `prefix` must be NULL or valid for reads of `prefix_len` bytes.
 */
np700_status np700_config_add_sms_sender_prefix(struct np700_config *config,
                                                const char *prefix,
                                                size_t prefix_len);

/**
 * Adds a verification-code keyword: an SMS whose text (see `np700_route_message()`) has a
 * keyword and a run of digits of the configured length (`np700_config_set_sms_code_digits()`,
 * default 4 to 8; ASCII or full-width digits, not part of a longer run) is refused,
 * `NP700_REJECT_VERIFICATION_CODE` (SIP 403). Matched ASCII case-insensitively, other bytes
 * exactly; an ASCII letter at either end must not touch another letter in the text.
 *
 * `keyword` is 1 ..= `NP700_MAX_SMS_KEYWORD_LEN` bytes of UTF-8 (empty or longer:
 * `NP700_ERR_INVALID_FIELD`; not UTF-8: `NP700_ERR_INVALID_UTF8`). A keyword already there is
 * not added twice; one past `NP700_MAX_SMS_KEYWORDS` is `NP700_ERR_TOO_LONG`.
 *
 * # Safety
 *
 * `keyword` must be NULL or valid for reads of `keyword_len` bytes.
 */
np700_status np700_config_add_sms_code_keyword(struct np700_config *config,
                                               const char *keyword,
                                               size_t keyword_len);

/**
 * Sets the length of a verification code's digit run: `min` ..= `max` digits, with
 * `1 <= min <= max <= NP700_MAX_SMS_CODE_DIGITS` (else `NP700_ERR_OUT_OF_RANGE`). Default 4
 * to 8.
 *
 * # Safety
 *
 * None beyond passing a handle (stale ones are detected).
 */
np700_status np700_config_set_sms_code_digits(struct np700_config *config,
                                              uint32_t min,
                                              uint32_t max);

/**
 * Removes every commercial sender prefix and verification-code keyword (the digit run goes
 * back to 4 to 8): SMS are then refused for neither. Add your own with
 * `np700_config_add_sms_sender_prefix()` and `np700_config_add_sms_code_keyword()`.
 *
 * # Safety
 *
 * None beyond passing a handle (stale ones are detected).
 */
np700_status np700_config_clear_sms_rules(struct np700_config *config);

/**
 * Routes an SMS whose text the switch has, into `*out`: as `np700_route()` with
 * `NP700_MEDIA_SMS`, after the configuration's SMS rules — an SMS from a commercial sender is
 * refused with `NP700_REJECT_COMMERCIAL_SENDER`, one whose text looks like a verification code
 * with `NP700_REJECT_VERIFICATION_CODE` (both SIP 403), before the binding is looked up.
 * (`np700_route()` with `NP700_MEDIA_SMS` applies the sender rule only.)
 *
 * - `caller`, `dialed`, `now`: as for `np700_route()`.
 * - `text`, `text_len`: the message's bytes as the switch has them (UTF-8 normally; invalid
 *   UTF-8 is scanned like any bytes, not an error), at most `NP700_MAX_SMS_TEXT_LEN`
 *   (`NP700_ERR_TOO_LONG`); `(NULL, 0)` is an empty text.
 *
 * Lock-free; allocates nothing.
 *
 * # Safety
 *
 * `caller`, `dialed` and `text` must be NULL or valid for reads of their lengths; `out` valid
 * for a write of one `np700_decision`.
 */
np700_status np700_route_message(const struct np700_registry *registry,
                                 const char *caller,
                                 size_t caller_len,
                                 const char *dialed,
                                 size_t dialed_len,
                                 const char *text,
                                 size_t text_len,
                                 uint64_t now,
                                 struct np700_decision *out);

/**
 * Routes an SMS with its text from the shared index, exactly as `np700_route_message()` does
 * from the registry (the writer's SMS rules, limits and records apply). Lock-free, as
 * `np700_reader_route()`.
 *
 * # Safety
 *
 * As `np700_route_message()`.
 */
np700_status np700_reader_route_message(const struct np700_reader *reader,
                                        const char *caller,
                                        size_t caller_len,
                                        const char *dialed,
                                        size_t dialed_len,
                                        const char *text,
                                        size_t text_len,
                                        uint64_t now,
                                        struct np700_decision *out);

/**
 * Routes an SMS with its text on the follower's index, exactly as `np700_route_message()`
 * does on a registry (with the SMS rules of the follower's configuration). Lock-free.
 *
 * # Safety
 *
 * As `np700_route_message()`.
 */
np700_status np700_follower_route_message(const struct np700_follower *follower,
                                          const char *caller,
                                          size_t caller_len,
                                          const char *dialed,
                                          size_t dialed_len,
                                          const char *text,
                                          size_t text_len,
                                          uint64_t now,
                                          struct np700_decision *out);

/**
 * Sets whether registries opened from this configuration with `np700_registry_open()` keep an
 * archive (in `<journal dir>/archive/`, one file per Beijing day): route records
 * (`np700_registry_archive_drained()`), call records (`np700_registry_end_call()`) and the
 * history of ended bindings (`np700_registry_history()`), the basis of `np700_registry_report()`.
 * Day files older than `retention_secs` are removed (by sweeps, once a day).
 *
 * `retention_secs` is 1 ..= `NP700_MAX_RETENTION_SECS` (else `NP700_ERR_OUT_OF_RANGE`), also
 * when disabled. The default: enabled, `NP700_DEFAULT_RETENTION_SECS`. No effect on
 * `np700_registry_new()` (a registry without a journal keeps no archive).
 *
 * # Safety
 *
 * None beyond passing a handle (stale ones are detected).
 */
np700_status np700_config_set_archive(struct np700_config *config,
                                      bool enabled,
                                      uint64_t retention_secs);

/**
 * Records how a routed call ended, as the switch reports it at `now`: links it to its binding
 * (its tenant, and where the call went) and archives the call record (durable at the next
 * flush: the next `np700_registry_archive_drained()`). The binding is looked up among the live
 * ones, then in the archive's history (from `started_at` on), so a call that outlasts its
 * binding is still recorded.
 *
 * - `binding_id`: the binding of the route decision (`np700_decision.binding_id`).
 * - `caller`: the caller (a subscriber number in any form; `NP700_ERR_BAD_NUMBER`).
 * - `dialed`: the usage number dialled (15 digits in any dial form; `NP700_ERR_BAD_NUMBER`).
 * - `started_at`: when the call was set up (the `now` of its route); `answered`,
 *   `duration_secs` (0 if unanswered), `release_cause` (ITU-T Q.850; 16 = normal clearing).
 *
 * `NP700_ERR_UNKNOWN_BINDING` when neither the state nor the archive knows the binding. A
 * registry without an archive (no journal, or the archive disabled) checks the binding and
 * keeps nothing.
 *
 * # Safety
 *
 * `caller` and `dialed` must be NULL or valid for reads of their lengths.
 */
np700_status np700_registry_end_call(const struct np700_registry *registry,
                                     uint64_t binding_id,
                                     const char *caller,
                                     size_t caller_len,
                                     const char *dialed,
                                     size_t dialed_len,
                                     uint64_t started_at,
                                     bool answered,
                                     uint32_t duration_secs,
                                     uint16_t release_cause,
                                     uint64_t now);

/**
 * Answers "`caller` dialled `usage_number` at time `at`: which binding carried it, and where
 * did it go?" into `*out` — for complaints and the regulator's enquiries. A live binding whose
 * current version was in force at `at` answers first, else the archive's history of ended and
 * updated binding versions. Nothing found is not an error: `out->found` is false.
 *
 * - `usage_number`: 15 digits in any dial form; `caller`: a subscriber number in any form
 *   (both `NP700_ERR_BAD_NUMBER` otherwise).
 * - `at`: seconds since the Unix epoch (at most `NP700_TIME_MAX`).
 *
 * Without an archive only live bindings answer (a binding updated since `at` as it is now).
 * Reads the archive's day files from `at`'s day on, without holding up writes or routes:
 * for enquiries, not for every call. `NP700_ERR_CORRUPT_JOURNAL` when an archive file is
 * damaged.
 *
 * # Safety
 *
 * `usage_number` and `caller` must be NULL or valid for reads of their lengths; `out` valid
 * for a write of one `np700_history_hit`.
 */
np700_status np700_registry_history(const struct np700_registry *registry,
                                    const char *usage_number,
                                    size_t usage_number_len,
                                    const char *caller,
                                    size_t caller_len,
                                    uint64_t at,
                                    struct np700_history_hit *out);

/**
 * One drain of the route records into the archive at `now`: takes up to `max_records` records
 * from the registry's queues (as `np700_registry_drain_records()` does), archives them with
 * the number the queues dropped since the last call (stamped `now`, so reports say how
 * complete they are), and flushes, so they — and the call records before them — are durable
 * when it returns. Writes how many records it took to `*archived`. Call it regularly (e.g.
 * every 100 ms) instead of `np700_registry_drain_records()`; `max_records` 0 archives and
 * flushes the drop count only.
 *
 * Without an archive (no journal, or the archive disabled) the records are taken and dropped.
 * Errors: `NP700_ERR_IO` or `NP700_ERR_JOURNAL_HALTED` when the archive cannot be written (the
 * records taken are then lost, and the archive halts until the registry is reopened).
 *
 * # Safety
 *
 * `archived` must be valid for a write of one `size_t`.
 */
np700_status np700_registry_archive_drained(const struct np700_registry *registry,
                                            size_t max_records,
                                            uint64_t now,
                                            size_t *archived);

/**
 * Writes the regulator's report of the period `[period_from, period_to)` as it stands at `now`
 * into `buf`: pretty-printed JSON, every field described in `docs/REPORTS.md` — number
 * resources, usage and live bindings per tenant and for the platform (as of `now`), route
 * decisions by outcome and reason, records dropped and bindings made (over the period, from
 * the archive; empty without one).
 *
 * - `period_from <= period_to`, both at most `NP700_TIME_MAX`; `now` too
 *   (`NP700_ERR_OUT_OF_RANGE`).
 * - `buf`, `buf_len`, `needed`: as for `np700_registry_export()`: if the report and its NUL fit
 *   it is copied and `NP700_OK` returned; otherwise `NP700_ERR_BUFFER_TOO_SMALL` with `buf`
 *   untouched. `(NULL, 0)` asks for the size alone; `needed`, if not NULL, receives the size
 *   including the NUL on success and on `NP700_ERR_BUFFER_TOO_SMALL` alike. With no write and
 *   no archived records in between, a second call with `*needed` bytes succeeds.
 *
 * Reads the archive from the period's first day on without holding up writes or routes, then
 * the state under the writer's lock: for a periodic job, not for every call.
 * `NP700_ERR_CORRUPT_JOURNAL` when an archive file is damaged.
 *
 * # Safety
 *
 * `buf` must be NULL or valid for writes of `buf_len` bytes; `needed` NULL or valid for a write
 * of one `size_t`.
 */
np700_status np700_registry_report(const struct np700_registry *registry,
                                   uint64_t period_from,
                                   uint64_t period_to,
                                   uint64_t now,
                                   char *buf,
                                   size_t buf_len,
                                   size_t *needed);

/**
 * Attaches read-only to the index a registry publishes at `path` (see
 * `np700_config_set_shared_path()`). On success `*out` is the new handle; free it with
 * `np700_reader_free()`.
 *
 * Errors: `NP700_ERR_IO` (no such file, no permission — see the last error),
 * `NP700_ERR_NOT_AN_INDEX`, `NP700_ERR_INCOMPATIBLE_INDEX`, `NP700_ERR_TRUNCATED_INDEX`.
 *
 * # Safety
 *
 * `path` must be NULL or valid for reads of `path_len` bytes; `out` valid for a write of one
 * pointer.
 */
np700_status np700_reader_attach(const char *path,
                                 size_t path_len,
                                 struct np700_reader **out);

/**
 * Frees a reader. NULL is a no-op (`NP700_OK`); a stale or already freed handle is
 * `NP700_ERR_INVALID_HANDLE`.
 *
 * # Safety
 *
 * None beyond passing a value returned as an `np700_reader *` (or NULL): stale values are
 * detected.
 */
np700_status np700_reader_free(struct np700_reader *reader);

/**
 * Routes a call or SMS from the shared index, exactly as `np700_route()` does from the
 * registry (same arguments, same errors, same decisions at the same instant).
 *
 * The writer's controls apply: the route counts against its frequency limits and probing
 * detection, and its `np700_route_record` goes to the writer's queue, drained by the writer
 * with `np700_registry_drain_records()` (a reader has no drain of its own).
 *
 * Lock-free: no lock, no allocation. The one exception: when the writer has grown its index or
 * restarted, the first lookup after that re-attaches to the new index (opening and mapping a
 * file); lookups on other threads meanwhile answer from the old index.
 *
 * # Safety
 *
 * As `np700_route()`.
 */
np700_status np700_reader_route(const struct np700_reader *reader,
                                const char *caller,
                                size_t caller_len,
                                const char *dialed,
                                size_t dialed_len,
                                np700_media media,
                                uint64_t now,
                                struct np700_decision *out);

/**
 * Writes the generation of the index the reader currently reads (it grows by one each time the
 * writer rebuilds or restarts) to `*out`.
 *
 * # Safety
 *
 * `out` must be valid for a write of one `uint64_t`.
 */
np700_status np700_reader_generation(const struct np700_reader *reader,
                                     uint64_t *out);

/**
 * Starts following the journal in directory `dir` (UTF-8, at most `NP700_MAX_PATH_LEN` bytes;
 * it must exist): loads the newest snapshot and the journal after it before returning. The
 * configuration gives the follower's core settings (use the writer's), its index capacity and,
 * with `np700_config_set_shared_path()`, a shared mapping for its own reader processes. On
 * success `*out` is the handle; free it with `np700_follower_free()`.
 *
 * The follower never changes the directory: a record still being written is simply not there
 * yet. Errors: `NP700_ERR_CORRUPT_JOURNAL` (acknowledged data damaged), `NP700_ERR_IO`.
 *
 * # Safety
 *
 * `dir` must be NULL or valid for reads of `dir_len` bytes; `out` valid for a write of one
 * pointer.
 */
np700_status np700_follower_open(const struct np700_config *config,
                                 const char *dir,
                                 size_t dir_len,
                                 struct np700_follower **out);

/**
 * Frees a follower. NULL is a no-op (`NP700_OK`); a stale or already freed handle is
 * `NP700_ERR_INVALID_HANDLE`.
 *
 * # Safety
 *
 * None beyond passing a value returned as an `np700_follower *` (or NULL).
 */
np700_status np700_follower_free(struct np700_follower *follower);

/**
 * Applies what the writer has journaled since the last poll and publishes it to the
 * follower's index; returns at once when there is nothing new. Call it in a loop on a thread of
 * its own, or on a timer: the time between polls is the follower's lag. `*out` (if not NULL)
 * says what was done.
 *
 * Errors: `NP700_ERR_CORRUPT_JOURNAL` (damage or a gap: nothing of this poll is applied),
 * `NP700_ERR_IO` (the follower keeps what it has and may be polled again).
 *
 * # Safety
 *
 * `out` must be NULL or valid for a write of one `np700_follow_progress`.
 */
np700_status np700_follower_poll(const struct np700_follower *follower,
                                 struct np700_follow_progress *out);

/**
 * Routes a call or SMS on the follower's index, exactly as `np700_route()` does on a registry
 * (same arguments, statuses and decision). Lock-free; allocates nothing.
 *
 * The controls of the follower's configuration apply, counted in the follower's own memory
 * (shared with its readers), not the writer's; its route records go to its own queue, drained
 * with `np700_follower_drain_records()` (or open it from a configuration with
 * `np700_config_set_records(config, false, ...)`).
 *
 * # Safety
 *
 * As `np700_route()`.
 */
np700_status np700_follower_route(const struct np700_follower *follower,
                                  const char *caller,
                                  size_t caller_len,
                                  const char *dialed,
                                  size_t dialed_len,
                                  np700_media media,
                                  uint64_t now,
                                  struct np700_decision *out);

/**
 * Takes up to `capacity` of the follower's own route records (its routes and its readers',
 * counted in its own memory) into `out[0 ..]` and writes how many to `*written`, exactly as
 * `np700_registry_drain_records()` does for a registry (same arguments, same errors; nothing
 * is taken on an error). Call it regularly, or open the follower from a configuration with
 * records disabled: a full queue drops new records (`np700_follower_records_dropped()`).
 *
 * # Safety
 *
 * `out` must be NULL (with `capacity` 0) or valid for writes of `capacity` records; `written`
 * valid for a write of one `size_t`.
 */
np700_status np700_follower_drain_records(const struct np700_follower *follower,
                                          struct np700_route_record *out,
                                          size_t capacity,
                                          size_t *written);

/**
 * Writes to `*out` how many route records of the follower (its threads and its readers) were
 * lost so far: dropped because its queue was full, plus those abandoned
 * (`np700_follower_records_abandoned()`), as `np700_registry_records_dropped()` counts them.
 *
 * # Safety
 *
 * `out` must be valid for a write of one `uint64_t`.
 */
np700_status np700_follower_records_dropped(const struct np700_follower *follower,
                                            uint64_t *out);

/**
 * Writes to `*out` how many of the records counted by `np700_follower_records_dropped()` a
 * router of the follower was killed (or stopped for over 1 s) while queuing, as
 * `np700_registry_records_abandoned()` counts them for a registry.
 *
 * # Safety
 *
 * `out` must be valid for a write of one `uint64_t`.
 */
np700_status np700_follower_records_abandoned(const struct np700_follower *follower,
                                              uint64_t *out);

/**
 * Exports a hand-over document: everything one tenant (`tenant`), or the whole platform
 * (`tenant` 0), has that routing depends on, as it stands at `now` — the tenants, the licensed
 * blocks their numbers are in, the management numbers they hold (and those in quarantine after
 * them), every live binding and every running quarantine. The document is the versioned JSON of
 * np700's hand-over format (`"format": "np700-handover"`, `"version": 1`; every field is
 * described in the Rust documentation of `np700::handover`); `np700_registry_import()` reads it
 * into another registry with identical routing.
 *
 * - `buf`, `buf_len`: where the document goes, NUL-terminated. If it and its NUL fit, it is
 *   copied and `NP700_OK` returned; otherwise `NP700_ERR_BUFFER_TOO_SMALL` is returned and
 *   `buf` is left untouched. Call with `(NULL, 0)` to ask for the size alone.
 * - `needed`, if not NULL, receives the size the document needs including its NUL — on success
 *   and on `NP700_ERR_BUFFER_TOO_SMALL` alike (the one output written on an error), so
 *   `*needed - 1` is the document's length in bytes.
 * - The document depends only on the registry's state and `now`: with no write in between, a
 *   second call with a buffer of `*needed` bytes succeeds. (If writes may come in between, loop
 *   while the status is `NP700_ERR_BUFFER_TOO_SMALL`.)
 *
 * Exporting reads the state under the writer's lock (writes wait meanwhile, in proportion to
 * the bindings exported; routing does not) and changes nothing: a platform that exits exports
 * its tenant, has the document imported by whoever keeps serving its bindings, and stops
 * binding.
 *
 * Errors: `NP700_ERR_NULL` (`buf` NULL with a length, or `needed` misaligned),
 * `NP700_ERR_OUT_OF_RANGE` (`now`), `NP700_ERR_UNKNOWN_TENANT`, `NP700_ERR_BUFFER_TOO_SMALL`.
 *
 * # Safety
 *
 * `buf` must be NULL or valid for writes of `buf_len` bytes; `needed` NULL or valid for a write
 * of one `size_t`.
 */
np700_status np700_registry_export(const struct np700_registry *registry,
                                   uint32_t tenant,
                                   uint64_t now,
                                   char *buf,
                                   size_t buf_len,
                                   size_t *needed);

/**
 * Imports a hand-over document (as `np700_registry_export()` writes it) at `now`, so that every
 * call routes as it did in the exporting registry: the same caller dialling the same number gets
 * the same decision, up to tenant and binding ids (identical too in an empty registry with
 * `NP700_IMPORT_KEEP_IDS`). The import is one write: validated completely before anything
 * changes, journaled like any write in a journaled registry, all or nothing — on an error the
 * registry is as it was.
 *
 * - `json`, `json_len`: the document (UTF-8, not NUL-terminated; at most `PTRDIFF_MAX` bytes).
 * - `tenant_map`, `tenant_map_len`: tenants of the hand-over that the registry already has
 *   (at most `NP700_MAX_TABLE_LEN` entries; `(NULL, 0)` for none). Each must have the exported
 *   status; every other tenant of the hand-over is registered anew (see `np700_import_report`).
 * - `binding_ids`: `NP700_IMPORT_KEEP_IDS` or `NP700_IMPORT_RENUMBER`.
 * - `*out`: what the import did.
 *
 * The document's numbers must fit: an exported block that overlaps none of the registry's is
 * licensed, otherwise the numbers used must already be licensed here; each management number
 * must be free (or held by the tenant it maps to); no usage number of the hand-over may carry
 * anything in the registry. Numbers never change tenant.
 *
 * Errors, besides the arguments' (`NP700_ERR_NULL`, `NP700_ERR_INVALID_UTF8`,
 * `NP700_ERR_TOO_LONG` for the map, `NP700_ERR_BAD_ENUM` for `binding_ids`,
 * `NP700_ERR_OUT_OF_RANGE` for `now`): the document — `NP700_ERR_HANDOVER_UNREADABLE`,
 * `NP700_ERR_NOT_A_HANDOVER`, `NP700_ERR_HANDOVER_VERSION`, `NP700_ERR_HANDOVER_INCONSISTENT`
 * (the last error says which item); the mapping — `NP700_ERR_MAPPING_FROM_UNKNOWN`,
 * `NP700_ERR_MAPPING_TO_UNKNOWN`, `NP700_ERR_MAPPING_NOT_ONE_TO_ONE` (two tenants onto one, or
 * one tenant listed twice), `NP700_ERR_TENANT_STATUS_DIFFERS`; the registry —
 * `NP700_ERR_NOT_LICENSED`, `NP700_ERR_HELD_BY_ANOTHER_TENANT`,
 * `NP700_ERR_NUMBER_IN_QUARANTINE`, `NP700_ERR_ENTRY_IN_USE`, `NP700_ERR_BINDING_ID_TAKEN`,
 * `NP700_ERR_BINDING_IDS_EXHAUSTED`, `NP700_ERR_INDEX_FULL`; and a journaled registry's
 * `NP700_ERR_IO`, `NP700_ERR_JOURNAL_HALTED`.
 *
 * # Safety
 *
 * `json` must be NULL or valid for reads of `json_len` bytes; `tenant_map` NULL or valid for
 * reads of `tenant_map_len` entries; `out` valid for a write of one `np700_import_report`.
 */
np700_status np700_registry_import(const struct np700_registry *registry,
                                   const char *json,
                                   size_t json_len,
                                   const struct np700_tenant_mapping *tenant_map,
                                   size_t tenant_map_len,
                                   np700_import_ids binding_ids,
                                   uint64_t now,
                                   struct np700_import_report *out);

/**
 * Migrates legacy middle-number bindings onto 700 numbers of `tenant` at `now`, during the
 * transition period: each line of `jsonl` is one binding in the legacy record format (a JSON
 * object with `middle`, `mode`, the parties, `expires_at`, `consent_ref`, …; every field is
 * described in the Rust documentation of `np700::handover::legacy`). Each gets a 700 usage
 * number — from `options->table`, or picked automatically among the tenant's numbers — and is
 * made through the normal bind path (every rule checked, journaled like any binding).
 *
 * Lines are independent: a refused line does not stop the others, and the lines migrated stay
 * migrated (this is not one all-or-nothing write, unlike `np700_registry_import()`). The
 * status is `NP700_OK` once every line has its outcome, however many were refused; errors are
 * the arguments' only, found before any line is migrated.
 *
 * - `options`: NULL for the defaults (automatic selection for every legacy number, the default
 *   policy); see `np700_legacy_options`.
 * - `jsonl`, `jsonl_len`: the lines (UTF-8, `\n` or `\r\n` separated; blank lines are
 *   skipped; at most `PTRDIFF_MAX` bytes).
 * - `*summary`: the counts.
 * - `lines`, `lines_cap`: one `np700_legacy_line` per non-blank input line, in input order.
 *   `(NULL, 0)` if only the summary is wanted. A `lines_cap` smaller than the number of
 *   non-blank lines is `NP700_ERR_BUFFER_TOO_SMALL` before anything is migrated (a buffer of
 *   one entry per line of the input always suffices).
 * - `lines_needed`, if not NULL, receives the number of entries the input needs (its
 *   non-blank lines) — on success and on `NP700_ERR_BUFFER_TOO_SMALL` alike.
 *
 * Errors: `NP700_ERR_NULL`, `NP700_ERR_INVALID_UTF8`, `NP700_ERR_TOO_LONG`,
 * `NP700_ERR_BAD_NUMBER` (a table entry), `NP700_ERR_BAD_TAG`, `NP700_ERR_BAD_ENUM` (the
 * policy's codes), `NP700_ERR_OUT_OF_RANGE` (`now`), `NP700_ERR_UNKNOWN_TENANT`,
 * `NP700_ERR_BUFFER_TOO_SMALL`. A policy the rules refuse (no media, a bad window) refuses each
 * line instead (`NP700_LEGACY_REFUSED`), as do a suspended or exited tenant, a table target
 * that is not the tenant's, and — in a journaled registry — a failed journal write (the lines
 * before it stay migrated; `why` says what failed).
 *
 * # Safety
 *
 * `options` must be NULL or point to an initialised `np700_legacy_options` whose pointers are
 * valid as documented there; `jsonl` NULL or valid for reads of `jsonl_len` bytes; `summary`
 * valid for a write of one `np700_legacy_summary`; `lines` NULL or valid for writes of
 * `lines_cap` entries; `lines_needed` NULL or valid for a write of one `size_t`.
 */
np700_status np700_registry_migrate_legacy(const struct np700_registry *registry,
                                           uint32_t tenant,
                                           const struct np700_legacy_options *options,
                                           const char *jsonl,
                                           size_t jsonl_len,
                                           uint64_t now,
                                           struct np700_legacy_summary *summary,
                                           struct np700_legacy_line *lines,
                                           size_t lines_cap,
                                           size_t *lines_needed);

#ifdef __cplusplus
}  // extern "C"
#endif  // __cplusplus

#endif  /* NP700_H */
