/* The demo clinic's staff schedule: three desks, a "Standard week" template for the office staff,
 * applied to the week in progress (or the next one at a weekend) and published. Friday afternoon
 * leaves the front desk one short, so the coverage view has gaps to flag, and a Saturday morning
 * puts a receptionist over the 40-hour week, so an overtime request waits for the manager. */
#include <stdio.h>
#include <string.h>

#include "mem.h"
#include "seed.h"

static uint64_t add_desk(const char *name, uint32_t min_staff)
{
    Clinic__DeskAddRequest m = CLINIC__DESK_ADD_REQUEST__INIT;
    m.name = (char *)name;
    m.min_staff = min_staff;
    return seed_send(CLINIC__REQUEST__BODY_DESK_ADD, &m, 0, NULL)->desk_add->desk->id;
}

typedef struct {
    const char *who;     /* seed_staff_id() name */
    int desk;            /* index into desks[] */
    unsigned days;       /* bit per weekday, 1 << 1 Monday .. 1 << 5 Friday */
    int start, end;      /* local minutes */
} pattern_t;

enum { MON = 1 << 1, TUE = 1 << 2, WED = 1 << 3, THU = 1 << 4, FRI = 1 << 5 };
enum { WEEKDAYS = MON | TUE | WED | THU | FRI };
enum { FRONT, PHONES, BILLING, N_DESKS };

static const pattern_t patterns[] = {
    {"frontdesk", FRONT, WEEKDAYS, 8 * 60, 16 * 60},
    {"Rosa Alvarez", FRONT, WEEKDAYS & ~FRI, 10 * 60, 18 * 60},
    {"Rosa Alvarez", FRONT, FRI, 8 * 60, 12 * 60},
    {"stacy", FRONT, WEEKDAYS & ~FRI, 8 * 60, 12 * 60},
    {"stacy", PHONES, WEEKDAYS & ~FRI, 12 * 60, 16 * 60},
    {"Jamal Carter", FRONT, WEEKDAYS & ~FRI, 12 * 60, 18 * 60},
    {"Jamal Carter", FRONT, FRI, 14 * 60, 18 * 60},
    {"Lena Kowalski", PHONES, WEEKDAYS & ~FRI, 8 * 60, 13 * 60},
    {"Lena Kowalski", PHONES, FRI, 13 * 60, 18 * 60},
    {"sam", PHONES, WEEKDAYS & ~FRI, 13 * 60, 18 * 60},
    {"sam", PHONES, FRI, 8 * 60, 13 * 60},
    {"billie", BILLING, WEEKDAYS, 8 * 60, 16 * 60},
    {"Omar Haddad", BILLING, WEEKDAYS, 10 * 60, 18 * 60},
    {"Grace Kim", BILLING, TUE | THU, 13 * 60, 17 * 60},
};

void seed_shifts(const seed_ctx_t *ctx)
{
    static const char *const desk_names[N_DESKS] = {"Front desk", "Phones", "Billing"};
    static const uint32_t desk_min[N_DESKS] = {2, 1, 1};
    uint64_t desks[N_DESKS];
    for (int d = 0; d < N_DESKS; d++)
        desks[d] = add_desk(desk_names[d], desk_min[d]);

    Clinic__ShiftTemplateRow rows[64];
    Clinic__ShiftTemplateRow *row_ptrs[64];
    size_t n = 0;
    for (size_t i = 0; i < CL_ARRAY_SIZE(patterns); i++) {
        for (unsigned wd = 1; wd <= 5; wd++) {
            if (!(patterns[i].days & (1u << wd)))
                continue;
            if (n == CL_ARRAY_SIZE(rows))
                seed_die("too many template rows");
            Clinic__ShiftTemplateRow r = CLINIC__SHIFT_TEMPLATE_ROW__INIT;
            r.weekday = wd;
            r.start_minute = (uint32_t)patterns[i].start;
            r.end_minute = (uint32_t)patterns[i].end;
            r.desk_id = desks[patterns[i].desk];
            r.staff_id = seed_staff_id(patterns[i].who);
            rows[n] = r;
            row_ptrs[n] = &rows[n];
            n++;
        }
    }
    Clinic__ShiftTemplateSetRequest t = CLINIC__SHIFT_TEMPLATE_SET_REQUEST__INIT;
    t.name = "Standard week";
    t.rows = row_ptrs;
    t.n_rows = n;
    seed_send(CLINIC__REQUEST__BODY_SHIFT_TEMPLATE_SET, &t, 0, NULL);

    /* This week's Monday on a weekday; at a weekend, the coming one. */
    int to_monday = ctx->weekday == 0 ? 1 : ctx->weekday == 6 ? 2 : 1 - ctx->weekday;
    char monday[11];
    seed_date_add(ctx->today, to_monday, monday);

    Clinic__ShiftTemplateApplyRequest a = CLINIC__SHIFT_TEMPLATE_APPLY_REQUEST__INIT;
    a.name = "Standard week";
    a.week_start = monday;
    const Clinic__ShiftTemplateApplyReply *applied =
        seed_send(CLINIC__REQUEST__BODY_SHIFT_TEMPLATE_APPLY, &a, 0, NULL)->shift_template_apply;
    size_t created = applied->n_created, skipped = applied->n_skipped;

    /* Rosa covers a Saturday morning: over 40 hours, so it waits for the manager as overtime. */
    char saturday[11];
    seed_date_add(monday, 5, saturday);
    Clinic__ShiftAddRequest s = CLINIC__SHIFT_ADD_REQUEST__INIT;
    s.staff_id = seed_staff_id("Rosa Alvarez");
    s.desk_id = desks[FRONT];
    s.date = saturday;
    s.start_minute = 8 * 60;
    s.end_minute = 13 * 60;
    s.note = "Saturday flu-shot clinic";
    seed_send(CLINIC__REQUEST__BODY_SHIFT_ADD, &s, 0, NULL);

    Clinic__ShiftWeekPublishRequest p = CLINIC__SHIFT_WEEK_PUBLISH_REQUEST__INIT;
    p.week_start = monday;
    uint32_t published = seed_send(CLINIC__REQUEST__BODY_SHIFT_WEEK_PUBLISH, &p, 0, NULL)
                             ->shift_week_publish->published;
    printf("  staff schedule: desks Front desk (2 at least), Phones, Billing; the week of %s "
           "published: %u shifts (%zu from the template%s), one Saturday as overtime\n",
           monday, published, created, skipped ? ", some skipped" : "");
}
