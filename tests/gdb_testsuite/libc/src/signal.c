/* Signals without an operating system: nothing is ever delivered except by raise(). */
#include <signal.h>
#include <stdlib.h>

static sighandler_t handlers[NSIG];

sighandler_t signal(int sig, sighandler_t handler)
{
    if (sig <= 0 || sig >= NSIG || sig == SIGKILL)
        return SIG_ERR;
    sighandler_t previous = handlers[sig];
    handlers[sig] = handler;
    return previous;
}

int raise(int sig)
{
    if (sig <= 0 || sig >= NSIG)
        return -1;
    sighandler_t handler = handlers[sig];
    if (handler == SIG_IGN)
        return 0;
    if (handler == SIG_DFL)
        _exit(128 + sig);
    handler(sig);
    return 0;
}
