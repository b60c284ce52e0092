/* `clinicd serve`: loads DIR/clinicd.conf, opens the store, listens, and runs the loop until
 * SIGTERM or SIGINT. */
#ifndef CL_SERVE_H
#define CL_SERVE_H

/* argv[0] is "serve". Returns the process exit status. */
int cl_serve_main(int argc, char **argv);

#endif
