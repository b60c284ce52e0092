/* The topic table's lookups. */
#include "topics.h"

#include <string.h>

static const struct {
    const char *name;
    cl_perm_t perm;
    int per_user;
} topics[CL_TOPIC__COUNT] = {
#define CL_TOPIC_ROW(id, name, perm, per_user) [CL_TOPIC_##id] = {name, perm, per_user},
    CL_TOPIC_MAP(CL_TOPIC_ROW)
#undef CL_TOPIC_ROW
};

int cl_topic_find(const char *name)
{
    for (int i = 0; i < CL_TOPIC__COUNT; i++)
        if (strcmp(topics[i].name, name) == 0)
            return i;
    return -1;
}

const char *cl_topic_name(cl_topic_t t)
{
    return topics[t].name;
}

cl_perm_t cl_topic_perm(cl_topic_t t)
{
    return topics[t].perm;
}

int cl_topic_per_user(cl_topic_t t)
{
    return topics[t].per_user;
}
