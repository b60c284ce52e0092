/* Shifts against a real clinicd: a staff member watching sees their shift live when the week is
 * published (and never the draft), a staff user cannot add shifts, and the `clinic` desk and
 * shift commands end to end with --json (add, conflict, publish, list, coverage, swap). */
#include "harness.h"

static long long staff_id(cl_harness_t *h, const char *username)
{
    char q[192];
    snprintf(q, sizeof(q),
             "SELECT s.id FROM staff s JOIN users u ON u.id = s.user_id WHERE u.username = '%s'",
             username);
    return harness_sql(h, q);
}

static Clinic__ShiftAddRequest shift(uint64_t staff, uint64_t desk, const char *date)
{
    Clinic__ShiftAddRequest m = CLINIC__SHIFT_ADD_REQUEST__INIT;
    m.staff_id = staff;
    m.desk_id = desk;
    m.date = (char *)date;
    m.start_minute = 9 * 60;
    m.end_minute = 17 * 60;
    return m;
}

CL_TEST(published_shift_reaches_the_staff_member_live)
{
    cl_harness_t h;
    harness_start(&h, HARNESS_CHICAGO);
    harness_add_user(&h, "boss", "manager");
    harness_add_user(&h, "ann", "staff");
    uint64_t ann = (uint64_t)staff_id(&h, "ann");
    ASSERT(ann > 0);
    cl_sync_t *boss = harness_login(&h, "boss");
    cl_sync_t *me = harness_login(&h, "ann");

    char *topics[] = {"shifts", "inbox"};
    Clinic__SubscribeRequest sub = CLINIC__SUBSCRIBE_REQUEST__INIT;
    sub.topics = topics;
    sub.n_topics = 2;
    harness_send_ok(me, CLINIC__REQUEST__BODY_SUBSCRIBE, &sub);

    Clinic__DeskAddRequest d = CLINIC__DESK_ADD_REQUEST__INIT;
    d.name = "Front desk";
    d.min_staff = 1;
    uint64_t desk = harness_send_ok(boss, CLINIC__REQUEST__BODY_DESK_ADD, &d)->desk_add->desk->id;
    ASSERT_STR_EQ(harness_next_event(me, 2000)->entity, "desk");

    char date[11];
    harness_date_ahead(7, date);
    Clinic__ShiftAddRequest m = shift(ann, desk, date);
    uint64_t id = harness_send_ok(boss, CLINIC__REQUEST__BODY_SHIFT_ADD, &m)->shift_add->shift->id;
    /* A draft: nothing for ann yet. */
    harness_expect_no_event(me, 300);

    Clinic__ShiftWeekPublishRequest p = CLINIC__SHIFT_WEEK_PUBLISH_REQUEST__INIT;
    p.week_start = date;
    const Clinic__Response *resp =
        harness_send_ok(boss, CLINIC__REQUEST__BODY_SHIFT_WEEK_PUBLISH, &p);
    ASSERT_EQ(resp->shift_week_publish->published, 1);
    int on_shifts = 0, in_inbox = 0;
    for (int i = 0; i < 2; i++) {
        const Clinic__Event *ev = harness_next_event(me, 2000);
        ASSERT_STR_EQ(ev->entity, "shift");
        ASSERT_EQ(ev->entity_id, id);
        on_shifts += strcmp(ev->topic, "shifts") == 0;
        in_inbox += strcmp(ev->topic, "inbox") == 0;
    }
    ASSERT_EQ(on_shifts, 1);
    ASSERT_EQ(in_inbox, 1);

    /* And she sees it in the list, published. */
    Clinic__ShiftListRequest l = CLINIC__SHIFT_LIST_REQUEST__INIT;
    l.from_date = date;
    l.to_date = date;
    const Clinic__ShiftListReply *list =
        harness_send_ok(me, CLINIC__REQUEST__BODY_SHIFT_LIST, &l)->shift_list;
    ASSERT_EQ(list->n_shifts, 1);
    ASSERT_STR_EQ(list->shifts[0]->state, "published");
    cl_sync_close(boss);
    cl_sync_close(me);
    harness_stop(&h);
}

CL_TEST(staff_user_cannot_add_shifts)
{
    cl_harness_t h;
    harness_start(&h, HARNESS_CHICAGO);
    harness_add_user(&h, "ann", "staff,front_desk");
    cl_sync_t *me = harness_login(&h, "ann");
    char date[11];
    harness_date_ahead(3, date);
    Clinic__ShiftAddRequest m = shift((uint64_t)staff_id(&h, "ann"), 1, date);
    const Clinic__Response *resp;
    ASSERT_EQ(harness_send(me, CLINIC__REQUEST__BODY_SHIFT_ADD, &m, &resp), CL_EPERM);
    Clinic__ShiftWeekPublishRequest p = CLINIC__SHIFT_WEEK_PUBLISH_REQUEST__INIT;
    p.week_start = date;
    ASSERT_EQ(harness_send(me, CLINIC__REQUEST__BODY_SHIFT_WEEK_PUBLISH, &p, &resp), CL_EPERM);
    ASSERT_EQ(harness_sql(&h, "SELECT count(*) FROM shifts"), 0);
    cl_sync_close(me);
    harness_stop(&h);
}

CL_TEST(shifts_from_the_command_line)
{
    cl_harness_t h;
    harness_start(&h, HARNESS_CHICAGO);
    harness_add_user(&h, "boss", "manager");
    harness_add_user(&h, "ann", "staff");
    harness_add_user(&h, "bob", "staff");
    char ann[24], bob[24], out[16384], date[11], next[11], expect[128];
    snprintf(ann, sizeof(ann), "%lld", staff_id(&h, "ann"));
    snprintf(bob, sizeof(bob), "%lld", staff_id(&h, "bob"));
    harness_date_ahead(5, date);
    harness_date_ahead(6, next);

    harness_clinic_login(&h, "boss");
    HARNESS_CLINIC_OK(&h, out, "desk", "add", "Front desk", "--min", "1");
    ASSERT_STR_CONTAINS(out, "added desk 1");
    HARNESS_CLINIC_OK(&h, out, "--json", "desk", "add", "Phones");
    ASSERT_STR_CONTAINS(out, "\"name\":\"Phones\"");
    ASSERT_STR_CONTAINS(out, "\"min_staff\":1");
    HARNESS_CLINIC_OK(&h, out, "--json", "shift", "add", "--staff", ann, "--desk", "Front desk",
                      "--date", date, "--start", "09:00", "--end", "17:00");
    ASSERT_STR_CONTAINS(out, "\"id\":1,");
    ASSERT_STR_CONTAINS(out, "\"state\":\"draft\"");
    ASSERT_STR_CONTAINS(out, "\"start\":\"09:00\"");
    ASSERT_STR_CONTAINS(out, "\"minutes\":480");
    /* Bad input: overlapping shifts, exit 6 naming the other. */
    ASSERT_EQ(HARNESS_CLINIC(&h, out, "shift", "add", "--staff", ann, "--desk", "Phones", "--date",
                             date, "--start", "12:00", "--end", "18:00"),
              6);
    snprintf(expect, sizeof(expect), "already has shift 1 at Front desk on %s 09:00-17:00", date);
    ASSERT_STR_CONTAINS(out, expect);
    HARNESS_CLINIC_OK(&h, out, "shift", "add", "--staff", bob, "--desk", "Phones", "--date", next,
                      "--start", "09:00", "--end", "17:00", "--publish");
    ASSERT_STR_CONTAINS(out, "published");
    HARNESS_CLINIC_OK(&h, out, "--json", "shift", "publish", date);
    ASSERT_STR_CONTAINS(out, "\"published\":1");
    HARNESS_CLINIC_OK(&h, out, "shift", "edit", "1", "--end", "16:00", "--note", "leaves early");
    ASSERT_STR_CONTAINS(out, "changed shift 1");
    ASSERT_STR_CONTAINS(out, "09:00-16:00");
    /* Bad input: a stale version, exit 6. */
    ASSERT_EQ(
        HARNESS_CLINIC(&h, out, "shift", "edit", "1", "--start", "10:00", "--expect-version", "1"),
        6);
    ASSERT_STR_CONTAINS(out, "stale");
    HARNESS_CLINIC_OK(&h, out, "--json", "shift", "coverage", "--from", date, "--to", date,
                      "--desk", "Front desk");
    ASSERT_STR_CONTAINS(out, "\"window\":\"shifts\"");
    ASSERT_STR_CONTAINS(out, "\"on_duty\":1");
    HARNESS_CLINIC_OK(&h, out, "shift", "template", "set", "standard",
                      "mon-fri/08:00-12:00/Phones/2");
    ASSERT_STR_CONTAINS(out, "template standard (version 1, 5 rows)");

    /* Ann, logged in on the same workstation, sees the published week and swaps with Bob. */
    harness_clinic_login(&h, "ann");
    ASSERT_NE(HARNESS_CLINIC(&h, out, "shift", "add", "--staff", ann, "--desk", "1", "--date", date,
                             "--start", "18:00", "--end", "20:00"),
              0);
    ASSERT_STR_CONTAINS(out, "permission denied");
    HARNESS_CLINIC_OK(&h, out, "--json", "shift", "list", "--from", date, "--to", next);
    ASSERT_STR_CONTAINS(out, "\"note\":\"leaves early\"");
    ASSERT_STR_CONTAINS(out, "\"staff_name\":\"bob\"");
    HARNESS_CLINIC_OK(&h, out, "--json", "request", "swap", "1", "2", "--note", "dentist");
    ASSERT_STR_CONTAINS(out, "\"state\":\"proposed\"");
    harness_clinic_login(&h, "bob");
    HARNESS_CLINIC_OK(&h, out, "shift", "swap", "list");
    ASSERT_STR_CONTAINS(out, "swap 1 [proposed]");
    HARNESS_CLINIC_OK(&h, out, "--json", "shift", "swap", "accept", "1");
    ASSERT_STR_CONTAINS(out, "\"state\":\"accepted\"");
    ASSERT_EQ(harness_sql(&h, "SELECT count(*) FROM requests WHERE kind = 'swap' AND "
                              "state = 'pending'"),
              1);
    harness_stop(&h);
}

/* `desk edit` sends the whole record: a field not given is the current one, which the command
 * read in an earlier reply. It used to send the name from that reply after the next request had
 * freed it (ASan: heap-use-after-free; a plain build sent garbage and the server refused it). */
CL_TEST(desk_edit_without_a_name_keeps_the_name)
{
    cl_harness_t h;
    harness_start(&h, HARNESS_CHICAGO);
    harness_add_user(&h, "boss", "manager");
    char out[4096];
    harness_clinic_login(&h, "boss");
    HARNESS_CLINIC_OK(&h, out, "desk", "add", "Front desk", "--min", "1");
    HARNESS_CLINIC_OK(&h, out, "--json", "desk", "edit", "Front desk", "--min", "2");
    ASSERT_STR_CONTAINS(out, "\"name\":\"Front desk\"");
    ASSERT_STR_CONTAINS(out, "\"min_staff\":2");
    HARNESS_CLINIC_OK(&h, out, "--json", "desk", "edit", "1", "--active", "no");
    ASSERT_STR_CONTAINS(out, "\"name\":\"Front desk\"");
    ASSERT_STR_CONTAINS(out, "\"active\":false");
    harness_stop(&h);
}

CL_TEST_MAIN(CL_TEST_ENTRY(published_shift_reaches_the_staff_member_live),
             CL_TEST_ENTRY(staff_user_cannot_add_shifts),
             CL_TEST_ENTRY(shifts_from_the_command_line),
             CL_TEST_ENTRY(desk_edit_without_a_name_keeps_the_name))
