/* clinicd's entry point: `serve` runs the daemon; every other subcommand is an offline
 * administration command (admin.c). */
#include <string.h>

#include "admin.h"
#include "log.h"
#include "serve.h"

int main(int argc, char **argv)
{
    cl_log_set_name("clinicd");
    if (argc > 1 && strcmp(argv[1], "serve") == 0)
        return cl_serve_main(argc - 1, argv + 1);
    return cl_admin_main(argc, argv);
}
