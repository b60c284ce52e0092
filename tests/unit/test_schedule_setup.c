/* The schedule's setup: providers linked to clinician logins, weekly templates, rooms,
 * appointment types, clinic hours and holidays, blocks; the validation of each field, stale
 * versions answered with the current record, and the audit row and change of every change. */
#include "test_schedule_fixture.h"

CL_TEST(provider_add_links_a_clinician_and_is_audited)
{
    sf_t s;
    sf_open(&s);
    fx_user(&s.fx, "nurse", CL_ROLE_clinician);
    fx_user(&s.fx, "clerk", CL_ROLE_front_desk);
    int64_t audit = fx_audit_rows(&s.fx), changes = fx_change_rows(&s.fx);
    cl_job_t *job = sf_provider_add(&s, "Nora Nurse, NP", "nurse");
    ASSERT_OK(job->status);
    const Clinic__Provider *p = job->resp.provider_add->provider;
    ASSERT_STR_EQ(p->name, "Nora Nurse, NP");
    ASSERT_STR_EQ(p->username, "nurse");
    ASSERT_STR_EQ(p->specialty, "Family medicine");
    ASSERT(p->active);
    ASSERT_EQ(p->version, 1);
    ASSERT_EQ(p->n_hours, 0);
    ASSERT_EQ(fx_audit_rows(&s.fx), audit + 1);
    fx_assert_last_audit(&s.fx, "sched", "provider.add", "provider", p->id);
    ASSERT_EQ(fx_change_rows(&s.fx), changes + 1);
    ASSERT(sf_has_change(job, "schedule", "provider", p->id, CLINIC__CHANGE_OP__CREATED));
    cl_job_free(job);

    struct {
        const char *name, *username;
        int status;
        const char *field;
        const char *words;
    } bad[] = {
        {"", "", CL_EINVAL, "name", "name is required"},
        {"Dr. \x01", "", CL_EINVAL, "name", "control characters"},
        {"Dr. Lee", "", CL_EEXIST, "name", "a provider named Dr. Lee exists"},
        {"Dr. New", "ghost", CL_ENOTFOUND, "username", "no user named ghost"},
        {"Dr. New", "clerk", CL_EPRECOND, "username", "is not a clinician"},
        {"Dr. New", "drlee", CL_EEXIST, "username", "already linked to provider Dr. Lee"},
    };
    for (size_t i = 0; i < CL_ARRAY_SIZE(bad); i++) {
        job = sf_provider_add(&s, bad[i].name, bad[i].username);
        FX_ASSERT_FAILED(job, bad[i].status, bad[i].field);
        ASSERT_STR_CONTAINS(fx_message(job), bad[i].words);
        cl_job_free(job);
    }
    ASSERT_EQ(fx_audit_rows(&s.fx), audit + 1);
    sf_close(&s);
}

CL_TEST(provider_edit_with_a_stale_version_gets_the_current_record)
{
    sf_t s;
    sf_open(&s);
    uint64_t v = sf_version(&s, "providers", s.kim);
    Clinic__ProviderEditRequest m = CLINIC__PROVIDER_EDIT_REQUEST__INIT;
    m.id = (uint64_t)s.kim;
    m.name = "Dr. Kim";
    m.specialty = "Pediatrics";
    m.username = "";
    m.active = 1;
    m.version = v;
    SF_REQ(req, PROVIDER_EDIT, provider_edit, &m);
    cl_job_t *job = sf_run(&s, &s.sched, cl_handle_provider_edit, &req);
    ASSERT_OK(job->status);
    ASSERT_STR_EQ(job->resp.provider_edit->provider->specialty, "Pediatrics");
    ASSERT_EQ(job->resp.provider_edit->provider->version, v + 1);
    ASSERT_EQ(job->resp.provider_edit->provider->n_hours, 2); /* the template stays */
    fx_assert_last_audit(&s.fx, "sched", "provider.edit", "provider", (uint64_t)s.kim);
    cl_job_free(job);

    m.specialty = "Geriatrics";
    job = sf_run(&s, &s.sched, cl_handle_provider_edit, &req);
    FX_ASSERT_FAILED(job, CL_ECONFLICT, "version");
    ASSERT_STR_EQ(job->resp.provider_edit->provider->specialty, "Pediatrics");
    ASSERT_EQ(job->resp.provider_edit->provider->version, v + 1);
    ASSERT_STR_CONTAINS(fx_message(job), "provider Dr. Kim was changed by someone else");
    cl_job_free(job);

    m.version = v + 1;
    m.name = "Dr. Lee";
    job = sf_run(&s, &s.sched, cl_handle_provider_edit, &req);
    FX_ASSERT_FAILED(job, CL_EEXIST, "name");
    cl_job_free(job);
    m.name = "Dr. Kim";
    m.version = 0;
    job = sf_run(&s, &s.sched, cl_handle_provider_edit, &req);
    FX_ASSERT_FAILED(job, CL_EINVAL, "version");
    cl_job_free(job);
    m.version = 1;
    m.id = 99;
    job = sf_run(&s, &s.sched, cl_handle_provider_edit, &req);
    FX_ASSERT_FAILED(job, CL_ENOTFOUND, "id");
    cl_job_free(job);

    /* Deactivated providers leave the default list. */
    m.id = (uint64_t)s.kim;
    m.version = v + 1;
    m.active = 0;
    FX_ASSERT_OK_FREE(sf_run(&s, &s.sched, cl_handle_provider_edit, &req));
    Clinic__ProviderListRequest l = CLINIC__PROVIDER_LIST_REQUEST__INIT;
    SF_REQ(lreq, PROVIDER_LIST, provider_list, &l);
    job = sf_run(&s, &s.doc, cl_handle_provider_list, &lreq);
    ASSERT_EQ(job->resp.provider_list->n_providers, 1);
    ASSERT_STR_EQ(job->resp.provider_list->providers[0]->name, "Dr. Lee");
    ASSERT_EQ(job->resp.provider_list->providers[0]->n_hours, 10);
    cl_job_free(job);
    l.include_inactive = 1;
    job = sf_run(&s, &s.doc, cl_handle_provider_list, &lreq);
    ASSERT_EQ(job->resp.provider_list->n_providers, 2);
    cl_job_free(job);
    sf_close(&s);
}

CL_TEST(provider_hours_replace_the_template_and_are_checked)
{
    sf_t s;
    sf_open(&s);
    uint64_t v = sf_version(&s, "providers", s.kim);
    cl_job_t *job = sf_provider_hours(&s, s.kim, v, "1 08:00-12:00;1 11:00-13:00");
    FX_ASSERT_FAILED(job, CL_EINVAL, "hours");
    ASSERT_STR_CONTAINS(fx_message(job), "two ranges on Monday overlap");
    cl_job_free(job);
    job = sf_provider_hours(&s, s.kim, v, "7 08:00-12:00");
    FX_ASSERT_FAILED(job, CL_EINVAL, "hours");
    cl_job_free(job);
    job = sf_provider_hours(&s, s.kim, v, "1 12:00-08:00");
    FX_ASSERT_FAILED(job, CL_EINVAL, "hours");
    cl_job_free(job);
    job = sf_provider_hours(&s, s.kim, v + 3, "1 08:00-12:00");
    FX_ASSERT_FAILED(job, CL_ECONFLICT, "version");
    ASSERT_EQ(job->resp.provider_hours_set->provider->n_hours, 2);
    cl_job_free(job);

    job = sf_provider_hours(&s, s.kim, v, "1 08:00-12:00;1 12:00-13:00;3 07:30-19:00");
    ASSERT_OK(job->status);
    const Clinic__Provider *p = job->resp.provider_hours_set->provider;
    ASSERT_EQ(p->version, v + 1);
    ASSERT_EQ(p->n_hours, 3);
    ASSERT_EQ(p->hours[2]->weekday, 3);
    ASSERT_EQ(p->hours[2]->start_minute, 7 * 60 + 30);
    fx_assert_last_audit(&s.fx, "sched", "provider.hours", "provider", (uint64_t)s.kim);
    ASSERT(sf_has_change(job, "schedule", "provider", (uint64_t)s.kim, CLINIC__CHANGE_OP__UPDATED));
    cl_job_free(job);
    /* Kim no longer works Tuesdays. */
    job = sf_book(&s, s.ann, s.kim, s.visit, 0, "2024-03-05", "09:00");
    FX_ASSERT_FAILED(job, CL_ECONFLICT, NULL);
    cl_job_free(job);
    sf_close(&s);
}

CL_TEST(rooms_and_types_are_checked_and_versioned)
{
    sf_t s;
    sf_open(&s);
    Clinic__RoomAddRequest r = CLINIC__ROOM_ADD_REQUEST__INIT;
    r.name = "Exam 1";
    SF_REQ(rreq, ROOM_ADD, room_add, &r);
    cl_job_t *job = sf_run(&s, &s.sched, cl_handle_room_add, &rreq);
    FX_ASSERT_FAILED(job, CL_EEXIST, "name");
    cl_job_free(job);
    r.name = "";
    job = sf_run(&s, &s.sched, cl_handle_room_add, &rreq);
    FX_ASSERT_FAILED(job, CL_EINVAL, "name");
    cl_job_free(job);

    Clinic__RoomEditRequest e = CLINIC__ROOM_EDIT_REQUEST__INIT;
    e.id = (uint64_t)s.exam2;
    e.name = "Procedure";
    e.active = 1;
    e.version = 1;
    SF_REQ(ereq, ROOM_EDIT, room_edit, &e);
    job = sf_run(&s, &s.sched, cl_handle_room_edit, &ereq);
    ASSERT_OK(job->status);
    ASSERT_STR_EQ(job->resp.room_edit->room->name, "Procedure");
    ASSERT_EQ(job->resp.room_edit->room->version, 2);
    fx_assert_last_audit(&s.fx, "sched", "room.edit", "room", (uint64_t)s.exam2);
    cl_job_free(job);
    job = sf_run(&s, &s.sched, cl_handle_room_edit, &ereq);
    FX_ASSERT_FAILED(job, CL_ECONFLICT, "version");
    ASSERT_STR_EQ(job->resp.room_edit->room->name, "Procedure");
    cl_job_free(job);

    Clinic__AppointmentTypeAddRequest t = CLINIC__APPOINTMENT_TYPE_ADD_REQUEST__INIT;
    t.name = "Annual physical";
    t.default_minutes = 4;
    SF_REQ(treq, APPOINTMENT_TYPE_ADD, appointment_type_add, &t);
    job = sf_run(&s, &s.sched, cl_handle_appointment_type_add, &treq);
    FX_ASSERT_FAILED(job, CL_EINVAL, "default_minutes");
    cl_job_free(job);
    t.default_minutes = 481;
    job = sf_run(&s, &s.sched, cl_handle_appointment_type_add, &treq);
    FX_ASSERT_FAILED(job, CL_EINVAL, "default_minutes");
    cl_job_free(job);
    const char *colors[] = {"red", "#12345", "#12345g", "123456#"};
    t.default_minutes = 45;
    for (size_t i = 0; i < CL_ARRAY_SIZE(colors); i++) {
        t.color = (char *)colors[i];
        job = sf_run(&s, &s.sched, cl_handle_appointment_type_add, &treq);
        FX_ASSERT_FAILED(job, CL_EINVAL, "color");
        cl_job_free(job);
    }
    t.color = "#AA00ff";
    t.needs_room = 1;
    job = sf_run(&s, &s.sched, cl_handle_appointment_type_add, &treq);
    ASSERT_OK(job->status);
    const Clinic__AppointmentType *ty = job->resp.appointment_type_add->type;
    ASSERT_STR_EQ(ty->color, "#aa00ff");
    ASSERT_EQ(ty->default_minutes, 45);
    ASSERT(ty->needs_room);
    fx_assert_last_audit(&s.fx, "sched", "appointment_type.add", "appointment_type", ty->id);
    cl_job_free(job);
    job = sf_run(&s, &s.sched, cl_handle_appointment_type_add, &treq);
    FX_ASSERT_FAILED(job, CL_EEXIST, "name");
    cl_job_free(job);

    Clinic__AppointmentTypeEditRequest te = CLINIC__APPOINTMENT_TYPE_EDIT_REQUEST__INIT;
    te.id = (uint64_t)s.visit;
    te.name = "Visit";
    te.default_minutes = 20;
    te.active = 0;
    te.version = 1;
    SF_REQ(tereq, APPOINTMENT_TYPE_EDIT, appointment_type_edit, &te);
    job = sf_run(&s, &s.sched, cl_handle_appointment_type_edit, &tereq);
    ASSERT_OK(job->status);
    ASSERT_STR_EQ(job->resp.appointment_type_edit->type->color, "#4a90d9");
    ASSERT(!job->resp.appointment_type_edit->type->active);
    cl_job_free(job);
    /* An inactive type cannot be booked. */
    job = sf_book(&s, s.ann, s.lee, s.visit, 0, "2024-03-05", "09:00");
    FX_ASSERT_FAILED(job, CL_EPRECOND, "type_id");
    cl_job_free(job);

    Clinic__AppointmentTypeListRequest tl = CLINIC__APPOINTMENT_TYPE_LIST_REQUEST__INIT;
    SF_REQ(tlreq, APPOINTMENT_TYPE_LIST, appointment_type_list, &tl);
    job = sf_run(&s, &s.doc, cl_handle_appointment_type_list, &tlreq);
    ASSERT_EQ(job->resp.appointment_type_list->n_types, 2); /* Annual physical, Consult */
    ASSERT_STR_EQ(job->resp.appointment_type_list->types[0]->name, "Annual physical");
    cl_job_free(job);
    Clinic__RoomListRequest rl = CLINIC__ROOM_LIST_REQUEST__INIT;
    SF_REQ(rlreq, ROOM_LIST, room_list, &rl);
    job = sf_run(&s, &s.doc, cl_handle_room_list, &rlreq);
    ASSERT_EQ(job->resp.room_list->n_rooms, 2);
    cl_job_free(job);
    sf_close(&s);
}

CL_TEST(clinic_hours_per_weekday_with_versions)
{
    sf_t s;
    sf_open(&s);
    /* Saturday was never set: version 0 creates it. */
    cl_job_t *job = sf_hours_set(&s, 6, 1, "09:00", "12:00", 1);
    FX_ASSERT_FAILED(job, CL_ECONFLICT, "version");
    ASSERT_EQ(job->resp.clinic_hours_set->day->version, 0);
    ASSERT(!job->resp.clinic_hours_set->day->open);
    cl_job_free(job);
    job = sf_hours_set(&s, 6, 1, "09:00", "12:00", 0);
    ASSERT_OK(job->status);
    ASSERT(job->resp.clinic_hours_set->day->open);
    ASSERT_EQ(job->resp.clinic_hours_set->day->version, 1);
    fx_assert_last_audit(&s.fx, "sched", "clinic_hours.set", "clinic_hours", 6);
    ASSERT(sf_has_change(job, "schedule", "clinic_hours", 6, CLINIC__CHANGE_OP__UPDATED));
    cl_job_free(job);
    /* Setting it again from version 0 is a lost update, refused. */
    job = sf_hours_set(&s, 6, 1, "10:00", "12:00", 0);
    FX_ASSERT_FAILED(job, CL_ECONFLICT, "version");
    cl_job_free(job);
    /* Closing keeps the hours it had. */
    job = sf_hours_set(&s, 6, 0, NULL, NULL, 1);
    ASSERT_OK(job->status);
    ASSERT(!job->resp.clinic_hours_set->day->open);
    ASSERT_EQ(job->resp.clinic_hours_set->day->open_minute, 9 * 60);
    ASSERT_EQ(job->resp.clinic_hours_set->day->version, 2);
    cl_job_free(job);

    job = sf_hours_set(&s, 7, 1, "09:00", "12:00", 0);
    FX_ASSERT_FAILED(job, CL_EINVAL, "weekday");
    cl_job_free(job);
    job = sf_hours_set(&s, 0, 1, "12:00", "09:00", 0);
    FX_ASSERT_FAILED(job, CL_EINVAL, "close_minute");
    cl_job_free(job);

    Clinic__ClinicHoursListRequest l = CLINIC__CLINIC_HOURS_LIST_REQUEST__INIT;
    SF_REQ(lreq, CLINIC_HOURS_LIST, clinic_hours_list, &l);
    job = sf_run(&s, &s.doc, cl_handle_clinic_hours_list, &lreq);
    ASSERT_OK(job->status);
    const Clinic__ClinicHoursListReply *r = job->resp.clinic_hours_list;
    ASSERT_EQ(r->n_days, 7);
    ASSERT(!r->days[0]->open);
    ASSERT_EQ(r->days[0]->version, 0);
    ASSERT(r->days[1]->open);
    ASSERT_EQ(r->days[1]->open_minute, 8 * 60);
    ASSERT_EQ(r->days[1]->close_minute, 18 * 60);
    ASSERT(!r->days[6]->open);
    cl_job_free(job);
    sf_close(&s);
}

CL_TEST(holidays_added_listed_removed)
{
    sf_t s;
    sf_open(&s);
    sf_book_ok(&s, s.ann, s.lee, s.visit, 0, "2024-03-05", "09:00");
    sf_book_ok(&s, s.bob, s.kim, s.visit, 0, "2024-03-05", "09:00");
    Clinic__HolidayAddRequest h = CLINIC__HOLIDAY_ADD_REQUEST__INIT;
    h.date = "2024-03-05";
    h.name = "Snow day";
    SF_REQ(hreq, HOLIDAY_ADD, holiday_add, &h);
    cl_job_t *job = sf_run(&s, &s.sched, cl_handle_holiday_add, &hreq);
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.holiday_add->appointments, 2); /* to move */
    fx_assert_last_audit(&s.fx, "sched", "holiday.add", "holiday", 20240305);
    cl_job_free(job);
    job = sf_run(&s, &s.sched, cl_handle_holiday_add, &hreq);
    FX_ASSERT_FAILED(job, CL_EEXIST, "date");
    cl_job_free(job);
    h.date = "2024-13-01";
    job = sf_run(&s, &s.sched, cl_handle_holiday_add, &hreq);
    FX_ASSERT_FAILED(job, CL_EINVAL, "date");
    cl_job_free(job);
    h.date = "2024-12-25";
    h.name = "";
    job = sf_run(&s, &s.sched, cl_handle_holiday_add, &hreq);
    FX_ASSERT_FAILED(job, CL_EINVAL, "name");
    cl_job_free(job);
    h.name = "Christmas Day";
    SF_OK(&s, &s.sched, cl_handle_holiday_add, HOLIDAY_ADD, holiday_add, &h);

    Clinic__HolidayListRequest l = CLINIC__HOLIDAY_LIST_REQUEST__INIT;
    SF_REQ(lreq, HOLIDAY_LIST, holiday_list, &l);
    job = sf_run(&s, &s.doc, cl_handle_holiday_list, &lreq);
    ASSERT_EQ(job->resp.holiday_list->n_holidays, 2);
    ASSERT_STR_EQ(job->resp.holiday_list->holidays[1]->name, "Christmas Day");
    cl_job_free(job);

    Clinic__HolidayRemoveRequest r = CLINIC__HOLIDAY_REMOVE_REQUEST__INIT;
    r.date = "2024-03-05";
    SF_REQ(rreq, HOLIDAY_REMOVE, holiday_remove, &r);
    job = sf_run(&s, &s.sched, cl_handle_holiday_remove, &rreq);
    ASSERT_OK(job->status);
    ASSERT(sf_has_change(job, "schedule", "holiday", 20240305, CLINIC__CHANGE_OP__DELETED));
    cl_job_free(job);
    job = sf_run(&s, &s.sched, cl_handle_holiday_remove, &rreq);
    FX_ASSERT_FAILED(job, CL_ENOTFOUND, "date");
    cl_job_free(job);
    sf_close(&s);
}

CL_TEST(blocks_checked_listed_and_cancelled_with_versions)
{
    sf_t s;
    sf_open(&s);
    int64_t inside = sf_book_ok(&s, s.ann, s.lee, s.visit, 0, "2024-03-05", "13:00");
    cl_job_t *job = sf_block_add(&s, s.lee, s.exam1, "2024-03-05", "12:00", "13:00", "lunch");
    FX_ASSERT_FAILED(job, CL_EINVAL, "provider_id");
    cl_job_free(job);
    job = sf_block_add(&s, s.lee, 0, "2024-03-05", "13:00", "12:00", "lunch");
    FX_ASSERT_FAILED(job, CL_EINVAL, "end_minute");
    cl_job_free(job);
    job = sf_block_add(&s, s.lee, 0, "2024-03-05", "12:00", "13:00", "");
    FX_ASSERT_FAILED(job, CL_EINVAL, "reason");
    cl_job_free(job);
    job = sf_block_add(&s, 99, 0, "2024-03-05", "12:00", "13:00", "lunch");
    FX_ASSERT_FAILED(job, CL_ENOTFOUND, "provider_id");
    cl_job_free(job);

    /* A block over a booked appointment is made, and names it to be moved. */
    job = sf_block_add(&s, s.lee, 0, "2024-03-05", "12:30", "14:00", "meeting");
    ASSERT_OK(job->status);
    const Clinic__BlockAddReply *r = job->resp.block_add;
    ASSERT_EQ(r->block->provider_id, s.lee);
    ASSERT_STR_EQ(r->block->provider_name, "Dr. Lee");
    ASSERT_STR_EQ(r->block->date, "2024-03-05");
    ASSERT_EQ(r->block->start_minute, 12 * 60 + 30);
    ASSERT_EQ(r->block->end_minute, 14 * 60);
    ASSERT_STR_EQ(r->block->created_by, "sched");
    ASSERT_EQ(r->n_overlapping, 1);
    ASSERT_EQ(r->overlapping[0]->id, inside);
    ASSERT_STR_EQ(r->overlapping[0]->kind, "provider");
    uint64_t block = r->block->id;
    fx_assert_last_audit(&s.fx, "sched", "block.add", "block", block);
    ASSERT(sf_has_change(job, "schedule", "block", block, CLINIC__CHANGE_OP__CREATED));
    cl_job_free(job);

    /* Instants work too; a whole day reads as 00:00 to 24:00. */
    Clinic__BlockAddRequest b = CLINIC__BLOCK_ADD_REQUEST__INIT;
    b.room_id = (uint64_t)s.exam1;
    b.starts_at = sf_at("2024-03-06", "00:00");
    b.ends_at = sf_at("2024-03-07", "00:00");
    b.reason = "painting";
    SF_REQ(breq, BLOCK_ADD, block_add, &b);
    job = sf_run(&s, &s.sched, cl_handle_block_add, &breq);
    ASSERT_OK(job->status);
    ASSERT_STR_EQ(job->resp.block_add->block->end_date, "2024-03-06");
    ASSERT_EQ(job->resp.block_add->block->end_minute, 1440);
    cl_job_free(job);

    Clinic__BlockListRequest l = CLINIC__BLOCK_LIST_REQUEST__INIT;
    l.from_date = "2024-03-04";
    l.to_date = "2024-03-08";
    SF_REQ(lreq, BLOCK_LIST, block_list, &l);
    job = sf_run(&s, &s.doc, cl_handle_block_list, &lreq);
    ASSERT_EQ(job->resp.block_list->n_blocks, 2);
    cl_job_free(job);
    l.room_id = (uint64_t)s.exam1;
    job = sf_run(&s, &s.doc, cl_handle_block_list, &lreq);
    ASSERT_EQ(job->resp.block_list->n_blocks, 1);
    ASSERT_STR_EQ(job->resp.block_list->blocks[0]->room_name, "Exam 1");
    cl_job_free(job);

    Clinic__BlockCancelRequest c = CLINIC__BLOCK_CANCEL_REQUEST__INIT;
    c.id = block;
    c.version = 2;
    SF_REQ(creq, BLOCK_CANCEL, block_cancel, &c);
    job = sf_run(&s, &s.sched, cl_handle_block_cancel, &creq);
    FX_ASSERT_FAILED(job, CL_ECONFLICT, "version");
    ASSERT_EQ(job->resp.block_cancel->block->version, 1);
    cl_job_free(job);
    c.version = 1;
    job = sf_run(&s, &s.sched, cl_handle_block_cancel, &creq);
    ASSERT_OK(job->status);
    ASSERT(job->resp.block_cancel->block->cancelled);
    fx_assert_last_audit(&s.fx, "sched", "block.cancel", "block", block);
    cl_job_free(job);
    c.version = 2;
    job = sf_run(&s, &s.sched, cl_handle_block_cancel, &creq);
    FX_ASSERT_FAILED(job, CL_EPRECOND, "id");
    cl_job_free(job);
    /* Cancelled blocks leave the list unless asked for. */
    l.room_id = 0;
    l.provider_id = (uint64_t)s.lee;
    job = sf_run(&s, &s.doc, cl_handle_block_list, &lreq);
    ASSERT_EQ(job->resp.block_list->n_blocks, 0);
    cl_job_free(job);
    l.include_cancelled = 1;
    job = sf_run(&s, &s.doc, cl_handle_block_list, &lreq);
    ASSERT_EQ(job->resp.block_list->n_blocks, 1);
    cl_job_free(job);
    sf_close(&s);
}

CL_TEST_MAIN(CL_TEST_ENTRY(provider_add_links_a_clinician_and_is_audited),
             CL_TEST_ENTRY(provider_edit_with_a_stale_version_gets_the_current_record),
             CL_TEST_ENTRY(provider_hours_replace_the_template_and_are_checked),
             CL_TEST_ENTRY(rooms_and_types_are_checked_and_versioned),
             CL_TEST_ENTRY(clinic_hours_per_weekday_with_versions),
             CL_TEST_ENTRY(holidays_added_listed_removed),
             CL_TEST_ENTRY(blocks_checked_listed_and_cancelled_with_versions))
