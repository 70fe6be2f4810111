/* rv32 bare-metal entry: one ELF per app, chosen at compile time with -DDTQ_APP=<function>.
 * picolibc's crt0 sets up the stack and .data/.bss, calls main and passes its return
 * value to exit() (semihosting: the simulator or debugger sees the exit code). */
#include "apps.h"

#ifndef DTQ_APP
#error "compile with -DDTQ_APP=dtq_app_<name>"
#endif

int main(void) { return DTQ_APP(); }
