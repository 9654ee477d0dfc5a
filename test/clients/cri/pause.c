/* The pod sandbox's process for the CRI tests: it holds the pod's namespaces and does nothing else.
 * As pid 1 of a shared PID namespace it reaps the orphans that other containers' processes leave;
 * SIGINT and SIGTERM end it (pid 1 gets no default action for them). Built static at test time. */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static void quit(int sig) {
  (void)sig;
  _exit(0);
}

static void reap(int sig) {
  (void)sig;
  while (waitpid(-1, 0, WNOHANG) > 0) {
  }
}

int main(void) {
  struct sigaction q = {0}, r = {0};
  q.sa_handler = quit;
  r.sa_handler = reap;
  r.sa_flags = SA_NOCLDSTOP | SA_RESTART;
  if (sigaction(SIGINT, &q, 0) || sigaction(SIGTERM, &q, 0) || sigaction(SIGCHLD, &r, 0)) return 1;
  for (;;) pause();
}
