/* Roles, permissions, password hashing and session tokens. */
#include "auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "status.h"

/* Which roles hold each permission. Admins run the system; managers supervise and audit. */
static const uint32_t perm_roles[CL_PERM__COUNT] = {
    [CL_PERM_NONE] = CL_ROLE_ALL,
    [CL_PERM_LOGGED_IN] = CL_ROLE_ALL,
    [CL_PERM_USER_ADMIN] = CL_ROLE_admin,
    [CL_PERM_AUDIT_READ] = CL_ROLE_admin | CL_ROLE_manager,
    [CL_PERM_SERVER_STATUS] = CL_ROLE_admin,
    /* Staff without a clinical, front-desk, scheduling or billing role see no patient data;
     * admins run the system and see none either (minimum necessary). */
    [CL_PERM_PATIENT_READ] = CL_ROLE_front_desk | CL_ROLE_scheduler | CL_ROLE_clinician |
                             CL_ROLE_biller | CL_ROLE_manager,
    [CL_PERM_PATIENT_WRITE] = CL_ROLE_front_desk | CL_ROLE_scheduler,
    [CL_PERM_PATIENT_MERGE] = CL_ROLE_manager,
    [CL_PERM_SCHEDULE_READ] =
        CL_ROLE_front_desk | CL_ROLE_scheduler | CL_ROLE_clinician | CL_ROLE_manager,
    [CL_PERM_SCHEDULE_WRITE] = CL_ROLE_front_desk | CL_ROLE_scheduler,
    [CL_PERM_SCHEDULE_SETUP] = CL_ROLE_scheduler | CL_ROLE_manager,
    [CL_PERM_OVERBOOK] = CL_ROLE_manager,
    [CL_PERM_FLOW_FRONT] = CL_ROLE_front_desk,
    [CL_PERM_FLOW_CLINICAL] = CL_ROLE_clinician,
    /* Personnel data is the manager's: admins run the system, not the staff. */
    [CL_PERM_STAFF_ADMIN] = CL_ROLE_manager,
    [CL_PERM_SHIFT_SETUP] = CL_ROLE_manager,
    [CL_PERM_APPROVE_ALL] = CL_ROLE_manager,
    [CL_PERM_STAFF_OVERRIDE] = CL_ROLE_manager,
    [CL_PERM_PAYROLL] = CL_ROLE_manager,
};

static const char *const perm_names[CL_PERM__COUNT] = {
    [CL_PERM_NONE] = "none",
    [CL_PERM_LOGGED_IN] = "logged_in",
    [CL_PERM_USER_ADMIN] = "user_admin",
    [CL_PERM_AUDIT_READ] = "audit_read",
    [CL_PERM_SERVER_STATUS] = "server_status",
    [CL_PERM_PATIENT_READ] = "patient_read",
    [CL_PERM_PATIENT_WRITE] = "patient_write",
    [CL_PERM_PATIENT_MERGE] = "patient_merge",
    [CL_PERM_SCHEDULE_READ] = "schedule_read",
    [CL_PERM_SCHEDULE_WRITE] = "schedule_write",
    [CL_PERM_SCHEDULE_SETUP] = "schedule_setup",
    [CL_PERM_OVERBOOK] = "overbook",
    [CL_PERM_FLOW_FRONT] = "flow_front",
    [CL_PERM_FLOW_CLINICAL] = "flow_clinical",
    [CL_PERM_STAFF_ADMIN] = "staff_admin",
    [CL_PERM_SHIFT_SETUP] = "shift_setup",
    [CL_PERM_APPROVE_ALL] = "approve_all",
    [CL_PERM_STAFF_OVERRIDE] = "staff_override",
    [CL_PERM_PAYROLL] = "payroll",
};

int cl_auth_allowed(uint32_t roles, cl_perm_t perm)
{
    if ((unsigned)perm >= CL_PERM__COUNT)
        return 0;
    if (perm == CL_PERM_NONE)
        return 1;
    return (roles & perm_roles[perm]) != 0;
}

const char *cl_perm_name(cl_perm_t perm)
{
    return (unsigned)perm < CL_PERM__COUNT ? perm_names[perm] : "unknown";
}

static const struct {
    const char *name;
    uint32_t bit;
} roles[] = {
#define CL_ROLE_ROW(name, bit) {#name, 1u << (bit)},
    CL_ROLE_MAP(CL_ROLE_ROW)
#undef CL_ROLE_ROW
};

uint32_t cl_role_from_name(const char *name)
{
    for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
        if (strcmp(roles[i].name, name) == 0)
            return roles[i].bit;
    return 0;
}

const char *cl_role_name(uint32_t bit)
{
    for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
        if (roles[i].bit == bit)
            return roles[i].name;
    return NULL;
}

void cl_roles_format(uint32_t r, char *out, size_t outlen)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
        if (!(r & roles[i].bit))
            continue;
        int n = snprintf(out + used, outlen - used, "%s%s", used ? "," : "", roles[i].name);
        if (n < 0 || (size_t)n >= outlen - used)
            return;
        used += (size_t)n;
    }
}

int cl_roles_parse(const char *list, uint32_t *out)
{
    uint32_t r = 0;
    char name[32];
    const char *p = list;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == 0 || n >= sizeof(name))
            return CL_EINVAL;
        memcpy(name, p, n);
        name[n] = '\0';
        uint32_t bit = cl_role_from_name(name);
        if (bit == 0)
            return CL_EINVAL;
        r |= bit;
        p += n;
        if (*p == ',')
            p++;
    }
    if (r == 0)
        return CL_EINVAL;
    *out = r;
    return 0;
}

enum { SALT_LEN = 16, HASH_LEN = 32, SCRYPT_R = 8, SCRYPT_P = 1 };

static int scrypt_log2_n = 15;

void cl_auth_set_scrypt_cost(int log2_n)
{
    if (log2_n >= 10 && log2_n <= 20)
        scrypt_log2_n = log2_n;
}

int cl_auth_scrypt_cost(void)
{
    return scrypt_log2_n;
}

static int derive(const char *password, const uint8_t *salt, size_t saltlen, int log2_n, int r,
                  int p, uint8_t out[HASH_LEN])
{
    uint64_t n = (uint64_t)1 << log2_n;
    /* Memory is 128 * r * N bytes; allow a little over that. */
    uint64_t maxmem = 128u * (uint64_t)r * n * 2 + (1u << 20);
    if (EVP_PBE_scrypt(password, strlen(password), salt, saltlen, n, (uint64_t)r, (uint64_t)p,
                       maxmem, out, HASH_LEN) != 1)
        return CL_EINTERNAL;
    return 0;
}

int cl_auth_hash_password(const char *password, char out[CL_PASSWORD_HASH_MAX])
{
    uint8_t salt[SALT_LEN], hash[HASH_LEN];
    char salt_hex[2 * SALT_LEN + 1], hash_hex[2 * HASH_LEN + 1];
    int log2_n = scrypt_log2_n;
    cl_random(salt, sizeof(salt));
    if (derive(password, salt, sizeof(salt), log2_n, SCRYPT_R, SCRYPT_P, hash) != 0) {
        cl_error("scrypt failed");
        return CL_EINTERNAL;
    }
    cl_hex(salt, sizeof(salt), salt_hex);
    cl_hex(hash, sizeof(hash), hash_hex);
    snprintf(out, CL_PASSWORD_HASH_MAX, "scrypt$%d$%d$%d$%s$%s", log2_n, SCRYPT_R, SCRYPT_P,
             salt_hex, hash_hex);
    return 0;
}

int cl_auth_verify_password(const char *password, const char *stored)
{
    int log2_n, r, p;
    char salt_hex[2 * SALT_LEN + 1], hash_hex[2 * HASH_LEN + 1];
    uint8_t salt[SALT_LEN], want[HASH_LEN], got[HASH_LEN];
    int ok = stored && sscanf(stored, "scrypt$%d$%d$%d$%32[0-9a-f]$%64[0-9a-f]", &log2_n, &r, &p,
                              salt_hex, hash_hex) == 5 &&
             log2_n >= 10 && log2_n <= 20 && r >= 1 && r <= 32 && p >= 1 && p <= 16 &&
             cl_unhex(salt_hex, salt, SALT_LEN) == 0 && cl_unhex(hash_hex, want, HASH_LEN) == 0;
    if (!ok) {
        /* Spend the same time as a real check, so a missing user does not show. */
        memset(salt, 0, sizeof(salt));
        derive(password, salt, sizeof(salt), scrypt_log2_n, SCRYPT_R, SCRYPT_P, got);
        return 0;
    }
    if (derive(password, salt, sizeof(salt), log2_n, r, p, got) != 0)
        return 0;
    return CRYPTO_memcmp(got, want, HASH_LEN) == 0;
}

void cl_auth_new_token(char token[65], char token_hash[65])
{
    uint8_t raw[32];
    cl_random(raw, sizeof(raw));
    cl_hex(raw, sizeof(raw), token);
    cl_auth_token_hash(token, token_hash);
}

void cl_auth_token_hash(const char *token, char token_hash[65])
{
    uint8_t digest[32];
    cl_sha256(token, strlen(token), digest);
    cl_hex(digest, sizeof(digest), token_hash);
}
