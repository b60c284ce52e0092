/* Placeholder until the admin subcommands land. */
#include "serve.h"
int main(int argc, char **argv) { return argc > 1 ? cl_serve_main(argc - 1, argv + 1) : 2; }
