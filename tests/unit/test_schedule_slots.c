/* Open slots: they honour the provider's template, the clinic's hours, holidays, blocks, booked
 * appointments and (for a type that needs one) a free room; any provider merges by start; days
 * when the clocks change have their real length; the past is never offered. */
#include "test_schedule_fixture.h"

static cl_job_t *slots(sf_t *s, Clinic__SlotFindRequest *m)
{
    SF_REQ(req, SLOT_FIND, slot_find, m);
    return sf_run(s, &s->doc, cl_handle_slot_find, &req);
}

static Clinic__SlotFindRequest find(int64_t provider, int64_t type, const char *from,
                                    const char *to, uint32_t limit)
{
    Clinic__SlotFindRequest m = CLINIC__SLOT_FIND_REQUEST__INIT;
    m.provider_id = (uint64_t)provider;
    m.type_id = (uint64_t)type;
    m.from_date = (char *)from;
    m.to_date = (char *)to;
    m.limit = limit;
    return m;
}

/* The slots as "date HH:MM provider-id room-id" lines joined by "; ". */
static const char *describe(const Clinic__SlotFindReply *r, char *buf, size_t buflen)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < r->n_slots && used < buflen; i++) {
        char hhmm[6];
        cl_sched_hhmm((int)r->slots[i]->start_minute, hhmm);
        used += (size_t)snprintf(buf + used, buflen - used, "%s%s %s %" PRIu64 " %" PRIu64,
                                 i ? "; " : "", r->slots[i]->date, hhmm, r->slots[i]->provider_id,
                                 r->slots[i]->room_id);
    }
    return buf;
}

#define ASSERT_SLOTS(job, want)                                                                    \
    do {                                                                                           \
        char buf_[2048];                                                                           \
        ASSERT_OK((job)->status);                                                                  \
        ASSERT_STR_EQ(describe((job)->resp.slot_find, buf_, sizeof(buf_)), (want));                \
    } while (0)

CL_TEST(slots_honour_template_appointments_blocks_and_holidays)
{
    sf_t s;
    sf_open(&s);
    sf_book_ok(&s, s.ann, s.lee, s.consult, 0, "2024-03-05", "10:00");
    cl_job_t *job = sf_block_add(&s, s.lee, 0, "2024-03-05", "15:00", "15:30", "meeting");
    cl_job_free(job);
    Clinic__SlotFindRequest m = find(s.lee, s.consult, "2024-03-05", "2024-03-05", 20);
    job = slots(&s, &m);
    ASSERT_SLOTS(job, "2024-03-05 09:00 1 0; 2024-03-05 11:00 1 0; 2024-03-05 13:00 1 0; "
                      "2024-03-05 14:00 1 0; 2024-03-05 15:30 1 0");
    const Clinic__Slot *first = job->resp.slot_find->slots[0];
    ASSERT_STR_EQ(first->provider_name, "Dr. Lee");
    ASSERT_EQ(first->starts_at, sf_at("2024-03-05", "09:00"));
    ASSERT_EQ(first->ends_at, sf_at("2024-03-05", "10:00"));
    cl_job_free(job);

    /* A holiday on Wednesday: nothing that day; the weekend is closed. */
    Clinic__HolidayAddRequest h = CLINIC__HOLIDAY_ADD_REQUEST__INIT;
    h.date = "2024-03-06";
    h.name = "Closed for inventory";
    SF_OK(&s, &s.sched, cl_handle_holiday_add, HOLIDAY_ADD, holiday_add, &h);
    m = find(s.lee, s.consult, "2024-03-06", "2024-03-11", 3);
    job = slots(&s, &m);
    ASSERT_SLOTS(job, "2024-03-07 09:00 1 0; 2024-03-07 10:00 1 0; 2024-03-07 11:00 1 0");
    cl_job_free(job);

    /* Every slot offered can be booked. */
    m = find(s.lee, s.consult, "2024-03-05", "2024-03-08", 100);
    job = slots(&s, &m);
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.slot_find->n_slots, 5 + 7 + 7);
    int64_t patients[] = {s.bob, s.cat, s.dan};
    for (size_t i = 0; i < job->resp.slot_find->n_slots; i++) {
        const Clinic__Slot *sl = job->resp.slot_find->slots[i];
        Clinic__AppointmentBookRequest b =
            sf_booking(patients[i % 3], s.lee, s.consult, 0, "", "00:00");
        b.starts_at = sl->starts_at;
        cl_job_t *bj = sf_book_req(&s, &s.desk, &b);
        if (bj->status != 0)
            CL_FAIL("slot %s %u: %s", sl->date, sl->start_minute, fx_message(bj));
        cl_job_free(bj);
    }
    cl_job_free(job);
    m = find(s.lee, s.consult, "2024-03-05", "2024-03-08", 100);
    job = slots(&s, &m);
    ASSERT_SLOTS(job, "");
    cl_job_free(job);
    sf_close(&s);
}

CL_TEST(slots_for_any_provider_by_start_then_provider)
{
    sf_t s;
    sf_open(&s);
    Clinic__SlotFindRequest m = find(0, s.consult, "2024-03-05", "", 4);
    cl_job_t *job = slots(&s, &m);
    ASSERT_SLOTS(job, "2024-03-05 08:00 2 0; 2024-03-05 09:00 1 0; 2024-03-05 09:00 2 0; "
                      "2024-03-05 10:00 1 0");
    cl_job_free(job);
    /* Monday: only Lee works. */
    m = find(0, s.consult, "2024-03-04", "2024-03-04", 2);
    job = slots(&s, &m);
    ASSERT_SLOTS(job, "2024-03-04 09:00 1 0; 2024-03-04 10:00 1 0");
    cl_job_free(job);
    sf_close(&s);
}

CL_TEST(slots_need_a_free_room_when_the_type_does)
{
    sf_t s;
    sf_open(&s);
    cl_job_t *job = sf_block_add(&s, 0, s.exam1, "2024-03-05", "09:00", "12:00", "repairs");
    cl_job_free(job);
    job = sf_block_add(&s, 0, s.exam2, "2024-03-05", "09:00", "09:30", "cleaning");
    cl_job_free(job);
    sf_book_ok(&s, s.ann, s.kim, s.visit, s.exam2, "2024-03-05", "10:00");
    Clinic__SlotFindRequest m = find(s.lee, s.visit, "2024-03-05", "", 3);
    job = slots(&s, &m);
    /* 09:00 has no room; 10:00 neither (Exam 2 taken by Kim's patient). */
    ASSERT_SLOTS(job, "2024-03-05 09:30 1 2; 2024-03-05 10:30 1 2; 2024-03-05 11:00 1 2");
    ASSERT_STR_EQ(job->resp.slot_find->slots[0]->room_name, "Exam 2");
    cl_job_free(job);
    sf_close(&s);
}

CL_TEST(slots_across_the_spring_forward_day)
{
    sf_t s;
    sf_open(&s);
    /* Sunday 2024-03-10: 02:00 does not exist in Chicago; the day has 23 hours. */
    sf_created_id(sf_hours_set(&s, 0, 1, "00:00", "06:00", 0), 0);
    uint64_t v = sf_version(&s, "providers", s.kim);
    sf_created_id(sf_provider_hours(&s, s.kim, v, "0 01:00-04:00"), 0);
    Clinic__SlotFindRequest m = find(s.kim, s.consult, "2024-03-10", "2024-03-10", 10);
    cl_job_t *job = slots(&s, &m);
    ASSERT_SLOTS(job, "2024-03-10 01:00 2 0; 2024-03-10 03:00 2 0");
    const Clinic__SlotFindReply *r = job->resp.slot_find;
    ASSERT_EQ(r->slots[0]->starts_at, 1710054000); /* 07:00Z, 01:00 CST */
    ASSERT_EQ(r->slots[1]->starts_at, 1710057600); /* 08:00Z, 03:00 CDT: one hour later */
    ASSERT_EQ(r->slots[1]->ends_at, sf_at("2024-03-10", "04:00"));
    cl_job_free(job);

    /* A booking at 03:00 that day takes the second slot exactly. */
    int64_t id = sf_book_ok(&s, s.ann, s.kim, s.consult, 0, "2024-03-10", "03:00");
    ASSERT_EQ(fx_int(&s.fx, "SELECT starts_at FROM appointments WHERE id = 1", NULL), 1710057600);
    (void)id;
    job = slots(&s, &m);
    ASSERT_SLOTS(job, "2024-03-10 01:00 2 0");
    cl_job_free(job);
    sf_close(&s);
}

CL_TEST(slots_across_the_fall_back_day)
{
    sf_t s;
    sf_open(&s);
    /* Sunday 2024-11-03: 01:00-02:00 happens twice, so 00:00-03:00 local is four real hours.
     * (The window starts and ends at unambiguous times: which pass a repeated minute means is
     * the calendar's business.) */
    sf_created_id(sf_hours_set(&s, 0, 1, "00:00", "06:00", 0), 0);
    uint64_t v = sf_version(&s, "providers", s.kim);
    sf_created_id(sf_provider_hours(&s, s.kim, v, "0 00:00-03:00"), 0);
    Clinic__SlotFindRequest m = find(s.kim, s.consult, "2024-11-03", "2024-11-03", 10);
    cl_job_t *job = slots(&s, &m);
    ASSERT_SLOTS(job, "2024-11-03 00:00 2 0; 2024-11-03 01:00 2 0; 2024-11-03 01:00 2 0; "
                      "2024-11-03 02:00 2 0");
    const Clinic__SlotFindReply *r = job->resp.slot_find;
    ASSERT_EQ(r->slots[0]->starts_at, 1730610000); /* 05:00Z, 00:00 CDT */
    ASSERT_EQ(r->slots[1]->starts_at, 1730613600); /* 06:00Z, 01:00 CDT */
    ASSERT_EQ(r->slots[2]->starts_at, 1730617200); /* 07:00Z, 01:00 CST */
    ASSERT_EQ(r->slots[3]->ends_at, 1730624400);   /* 09:00Z, 03:00 CST */
    cl_job_free(job);
    sf_close(&s);
}

CL_TEST(slots_within_earliest_and_latest_by_step)
{
    sf_t s;
    sf_open(&s);
    Clinic__SlotFindRequest m = find(s.lee, s.consult, "2024-03-05", "2024-03-05", 10);
    m.earliest_minute = sf_minute("13:30");
    m.latest_minute = sf_minute("16:00");
    cl_job_t *job = slots(&s, &m);
    ASSERT_SLOTS(job, "2024-03-05 13:30 1 0; 2024-03-05 14:30 1 0");
    cl_job_free(job);
    m.step_minutes = 15;
    m.limit = 3;
    job = slots(&s, &m);
    ASSERT_SLOTS(job, "2024-03-05 13:30 1 0; 2024-03-05 13:45 1 0; 2024-03-05 14:00 1 0");
    cl_job_free(job);
    sf_close(&s);
}

CL_TEST(slots_never_in_the_past)
{
    sf_t s;
    sf_open(&s);
    s.fx.now = sf_at("2024-03-05", "10:07");
    Clinic__SlotFindRequest m = find(s.lee, s.consult, "2024-03-01", "2024-03-05", 2);
    cl_job_t *job = slots(&s, &m);
    ASSERT_SLOTS(job, "2024-03-05 10:10 1 0; 2024-03-05 13:00 1 0");
    cl_job_free(job);
    m = find(s.lee, s.consult, "2024-02-01", "2024-02-20", 2);
    job = slots(&s, &m);
    ASSERT_SLOTS(job, "");
    cl_job_free(job);
    sf_close(&s);
}

CL_TEST(slots_request_is_checked)
{
    sf_t s;
    sf_open(&s);
    struct {
        int64_t provider, type;
        const char *from, *to;
        uint32_t earliest, latest, limit, step;
        int status;
        const char *field;
    } bad[] = {
        {s.lee, s.consult, "2024-03-05", "2024-04-05", 0, 0, 0, 0, CL_EINVAL, "to_date"},
        {s.lee, s.consult, "2024-03-05", "2024-03-04", 0, 0, 0, 0, CL_EINVAL, "to_date"},
        {s.lee, s.consult, "2024-3-5", "", 0, 0, 0, 0, CL_EINVAL, "from_date"},
        {s.lee, s.consult, "", "", 600, 600, 0, 0, CL_EINVAL, "latest_minute"},
        {s.lee, s.consult, "", "", 1440, 0, 0, 0, CL_EINVAL, "earliest_minute"},
        {s.lee, s.consult, "", "", 0, 0, 101, 0, CL_EINVAL, "limit"},
        {s.lee, s.consult, "", "", 0, 0, 0, 3, CL_EINVAL, "step_minutes"},
        {s.lee, 0, "", "", 0, 0, 0, 0, CL_EINVAL, "type_id"},
        {s.lee, 99, "", "", 0, 0, 0, 0, CL_ENOTFOUND, "type_id"},
        {99, s.consult, "", "", 0, 0, 0, 0, CL_ENOTFOUND, "provider_id"},
    };
    for (size_t i = 0; i < CL_ARRAY_SIZE(bad); i++) {
        Clinic__SlotFindRequest m =
            find(bad[i].provider, bad[i].type, bad[i].from, bad[i].to, bad[i].limit);
        m.earliest_minute = bad[i].earliest;
        m.latest_minute = bad[i].latest;
        m.step_minutes = bad[i].step;
        cl_job_t *job = slots(&s, &m);
        if (job->status != bad[i].status || strcmp(fx_field(job), bad[i].field) != 0)
            CL_FAIL("case %zu: %s on %s, want %s on %s", i, cl_status_name(job->status),
                    fx_field(job), cl_status_name(bad[i].status), bad[i].field);
        cl_job_free(job);
    }
    /* The default is the next ten, within 31 days from today. */
    Clinic__SlotFindRequest m = find(0, s.consult, "", "", 0);
    cl_job_t *job = slots(&s, &m);
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.slot_find->n_slots, 10);
    ASSERT_STR_EQ(job->resp.slot_find->slots[0]->date, "2024-03-01");
    cl_job_free(job);
    sf_close(&s);
}

CL_TEST_MAIN(CL_TEST_ENTRY(slots_honour_template_appointments_blocks_and_holidays),
             CL_TEST_ENTRY(slots_for_any_provider_by_start_then_provider),
             CL_TEST_ENTRY(slots_need_a_free_room_when_the_type_does),
             CL_TEST_ENTRY(slots_across_the_spring_forward_day),
             CL_TEST_ENTRY(slots_across_the_fall_back_day),
             CL_TEST_ENTRY(slots_within_earliest_and_latest_by_step),
             CL_TEST_ENTRY(slots_never_in_the_past), CL_TEST_ENTRY(slots_request_is_checked))
