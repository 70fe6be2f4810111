/* rv32 bare-metal entry of the built-in apps: one ELF per app, chosen at compile time with
 * -DDTQ_APP=<function>. picolibc's crt0 (--crt0=semihost) sets up the stack, .data/.bss and
 * argc/argv (semihosting SYS_GET_CMDLINE), calls main and passes its return value to exit()
 * (semihosting SYS_EXIT_EXTENDED: the VP's run sees the exit status). */
#include "apps.h"

#ifndef DTQ_APP
#error "compile with -DDTQ_APP=dtq_app_<name>"
#endif

int main(void) { return DTQ_APP(); }
