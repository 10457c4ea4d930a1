/*
 * Durability from C: a journaled registry (np700_registry_open) keeps every acknowledged write
 * across reopenings, snapshots, a torn tail (cut and reported) and refuses a damaged snapshot.
 */
#include "harness.h"

#include <dirent.h>
#include <unistd.h>

/* The one file in `dir` whose name ends with `suffix` (into `out`); 0 if none. */
static int find_file(const char *dir, const char *suffix, char *out, size_t len) {
    DIR *d = opendir(dir);
    int found = 0;
    if (d != NULL) {
        struct dirent *e;
        size_t n = strlen(suffix);
        while ((e = readdir(d)) != NULL) {
            size_t m = strlen(e->d_name);
            if (m > n && strcmp(e->d_name + m - n, suffix) == 0) {
                snprintf(out, len, "%s/%s", dir, e->d_name);
                found = 1;
            }
        }
        closedir(d);
    }
    return found;
}

static np700_registry *open_dir(const np700_config *cfg, const char *dir, np700_recovery *rec) {
    np700_registry *reg = NULL;
    EXPECT_OK(np700_registry_open(cfg, dir, strlen(dir), &reg, rec));
    return reg;
}

void run_journal(void) {
    np700_config *cfg = NULL;
    np700_registry *reg, *untouched;
    np700_recovery rec, rec_untouched;
    np700_bind_request r;
    np700_binding_info b;
    np700_decision d;
    uint32_t tenant = 0;
    uint64_t seq = 0, seq_untouched, events;
    char dir[128], file[512];
    FILE *fp;

    printf("== journal\n");
    ct_temp_path(dir, sizeof dir, "journal");
    ct_remove_dir(dir);
    EXPECT_OK(np700_config_new(&cfg));
    EXPECT_OK(np700_config_set_journal(cfg, NP700_COMMIT_PER_WRITE, 0));
    EXPECT_STATUS(np700_config_set_journal(cfg, 3, 0), NP700_ERR_BAD_ENUM);
    EXPECT_OK(np700_config_set_journal(cfg, NP700_COMMIT_GROUP, 0));

    /* A new directory: nothing to recover. */
    FILL(rec);
    reg = open_dir(cfg, dir, &rec);
    CHECK_U64(rec.last_seq, 0);
    CHECK_U64(rec.snapshot_seq, 0);
    CHECK_U64(rec.replayed, 0);
    CHECK_U64(rec.cut_bytes, 0);
    CHECK_STR(rec.cut_file, "");
    EXPECT_OK(np700_registry_license_block(reg, STR("70010000000"), 2, T0));
    EXPECT_OK(np700_registry_register_tenant(reg, STR("Swift Parcel"), NULL, 0, 0, T0, &tenant));
    EXPECT_OK(np700_registry_assign_number(reg, tenant, STR("70010000000"), NULL, 0, T0));
    r = fx_axb(tenant, "13800000001", "700100000000001", "13900000001");
    EXPECT_OK(np700_registry_bind(reg, &r, T0, &b));
    r = fx_axb(tenant, "13800000002", "700100000000002", "13900000002");
    EXPECT_OK(np700_registry_bind(reg, &r, T0, &b));
    EXPECT_OK(np700_registry_unbind(reg, tenant, b.id, T0 + 1));
    EXPECT_OK(np700_registry_free(reg));

    /* A follower of the directory sees the same; it follows a write made after it opened. */
    {
        np700_follower *w = NULL;
        np700_follow_progress p;
        np700_registry *writer = open_dir(cfg, dir, NULL);
        EXPECT_OK(np700_follower_open(cfg, dir, strlen(dir), &w));
        EXPECT_OK(np700_follower_route(w, STR("13900000001"), STR("700100000000001"),
                                       NP700_MEDIA_VOICE, T0 + 2, &d));
        CHECK_STR(d.targets[0], "+8613800000001");
        r = fx_axb(tenant, "13800000004", "700100000000004", "13900000004");
        EXPECT_OK(np700_registry_bind(writer, &r, T0 + 2, &b));
        FILL(p);
        EXPECT_OK(np700_follower_poll(w, &p));
        CHECK_MSG(p.applied >= 1 && p.reloaded == 0, "applied %llu", (unsigned long long)p.applied);
        EXPECT_OK(np700_follower_route(w, STR("13900000004"), STR("700100000000004"),
                                       NP700_MEDIA_VOICE, T0 + 3, &d));
        CHECK_STR(d.targets[0], "+8613800000004");
        EXPECT_OK(np700_follower_poll(w, NULL));
        EXPECT_OK(np700_follower_free(w));
        EXPECT_STATUS(np700_follower_free(w), NP700_ERR_INVALID_HANDLE);
        EXPECT_OK(np700_registry_free(writer));
    }

    /* Reopened: everything acknowledged, replayed from the journal. */
    FILL(rec);
    reg = open_dir(cfg, dir, &rec);
    events = rec.last_seq;
    CHECK_MSG(events >= 6, "last_seq %llu", (unsigned long long)events);
    CHECK_U64(rec.replayed, events);
    CHECK_U64(rec.snapshot_seq, 0);
    CHECK_U64(rec.cut_bytes, 0);
    d = ct_route(reg, "13900000001", "700100000000001", NP700_MEDIA_VOICE, T0 + 2);
    CHECK_STR(d.targets[0], "+8613800000001");
    d = ct_route(reg, "13900000002", "700100000000002", NP700_MEDIA_VOICE, T0 + 2);
    CHECK_MSG(d.kind != NP700_DECISION_ROUTE, "an unbound pair routes after reopening");

    /* A snapshot holds everything; the next open replays nothing. */
    EXPECT_OK(np700_registry_snapshot(reg, &seq));
    CHECK_U64(seq, events);
    EXPECT_OK(np700_registry_snapshot(reg, NULL));
    EXPECT_OK(np700_registry_free(reg));
    FILL(rec);
    reg = open_dir(cfg, dir, &rec);
    CHECK_U64(rec.snapshot_seq, events);
    CHECK_U64(rec.replayed, 0);
    r = fx_axb(tenant, "13800000003", "700100000000003", "13900000003");
    EXPECT_OK(np700_registry_bind(reg, &r, T0 + 3, &b));
    EXPECT_OK(np700_registry_free(reg));

    /* Garbage after the last record (a torn write): cut and reported, nothing lost. */
    CHECK(find_file(dir, ".journal", file, sizeof file));
    fp = fopen(file, "ab");
    CHECK(fp != NULL);
    if (fp != NULL) {
        CHECK(fwrite("torn tail", 1, 9, fp) == 9);
        CHECK(fclose(fp) == 0);
    }
    FILL(rec);
    reg = open_dir(cfg, dir, &rec);
    CHECK_U64(rec.cut_bytes, 9);
    CHECK(strstr(file, rec.cut_file) != NULL && rec.cut_file[0] != '\0');
    CHECK_U64(rec.last_seq, events + 1);
    d = ct_route(reg, "13900000003", "700100000000003", NP700_MEDIA_VOICE, T0 + 4);
    CHECK_STR(d.targets[0], "+8613800000003");
    EXPECT_OK(np700_registry_free(reg));

    /* A damaged snapshot is acknowledged data: refuse to open, say which file. */
    CHECK(find_file(dir, ".snapshot", file, sizeof file));
    fp = fopen(file, "r+b");
    CHECK(fp != NULL);
    if (fp != NULL) {
        int byte;
        CHECK(fseek(fp, 40, SEEK_SET) == 0);
        byte = fgetc(fp);
        CHECK(byte != EOF);
        CHECK(fseek(fp, 40, SEEK_SET) == 0);
        CHECK(fputc(byte ^ 0xFF, fp) != EOF);
        CHECK(fclose(fp) == 0);
    }
    FILL(untouched);
    FILL(rec_untouched);
    EXPECT_STATUS(np700_registry_open(cfg, dir, strlen(dir), &untouched, &rec_untouched),
                  NP700_ERR_CORRUPT_JOURNAL);
    CHECK_UNTOUCHED(untouched);
    CHECK_UNTOUCHED(rec_untouched);
    CHECK(strstr(ct_last_error(), ".snapshot") != NULL);

    /* A registry without a journal has nothing to snapshot. */
    EXPECT_OK(np700_registry_new(cfg, &reg));
    FILL(seq_untouched);
    EXPECT_STATUS(np700_registry_snapshot(reg, &seq_untouched), NP700_ERR_IO);
    CHECK_UNTOUCHED(seq_untouched);
    EXPECT_OK(np700_registry_free(reg));

    EXPECT_OK(np700_config_free(cfg));
    ct_remove_dir(dir);
}
