#define _GNU_SOURCE
#include "kq_spawn.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

// Everything below runs in the supervisor or the command before exec: only system calls.

static void report_and_exit(int report, int32_t how, int32_t value) {
  kq_command_ending ending = {how, value};
  const char *bytes = (const char *)&ending;
  size_t done = 0;
  while (done < sizeof ending) {
    ssize_t n = write(report, bytes + done, sizeof ending - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += (size_t)n;
  }
  _exit(0);
}

static void run_command(const char *path, char *const argv[], char *const envp[], int stdin_read, int stdout_write) {
  // kq catches SIGINT and SIGTERM and ignores SIGPIPE; an ignored signal would stay ignored
  // across exec, and a pipeline in the command needs SIGPIPE.
  static const int defaults[] = {SIGINT, SIGTERM, SIGPIPE};
  struct sigaction action = {0};
  action.sa_handler = SIG_DFL;
  sigemptyset(&action.sa_mask);
  for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++) sigaction(defaults[i], &action, NULL);
  if (stdin_read != 0) {
    if (dup2(stdin_read, 0) < 0) _exit(126);
    close(stdin_read);
  } else {
    fcntl(0, F_SETFD, 0);
  }
  if (stdout_write >= 0) {
    if (stdout_write != 1) {
      if (dup2(stdout_write, 1) < 0) _exit(126);
      close(stdout_write);
    } else {
      fcntl(1, F_SETFD, 0);
    }
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  execve(path, argv, envp);
  _exit(127);
}

/// Closes descriptors [from, to].
static void close_between(unsigned int from, unsigned int to) {
  if (from > to) return;
#ifdef SYS_close_range
  if (syscall(SYS_close_range, from, to, 0) == 0) return;
#endif
  struct rlimit limit;  // close_range(2) is Linux 5.9: before it, one by one
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur > (1u << 20)) {
    limit.rlim_cur = 1u << 20;
  }
  if (to >= limit.rlim_cur) to = (unsigned int)limit.rlim_cur - 1;
  for (unsigned int fd = from; fd <= to && fd >= from; fd++) close((int)fd);
}

/// Closes every descriptor from 3 on but the `count` in `keep` (-1 for none). The supervisor is
/// a copy of kq that never execs: without this it would hold, for as long as its command runs
/// (or waits to be released), whatever kq had open at the fork. Another command's stdin would
/// then never reach its end, and a lock kq let go (a partition's, a group member's) would stay
/// held, since an flock lives until the last copy of its descriptor is closed.
static void close_all_but(int *keep, int count) {
  for (int i = 1; i < count; i++) {  // ascending
    for (int j = i; j > 0 && keep[j] < keep[j - 1]; j--) {
      int swap = keep[j];
      keep[j] = keep[j - 1];
      keep[j - 1] = swap;
    }
  }
  unsigned int from = 3;
  for (int i = 0; i < count; i++) {
    if (keep[i] < (int)from) continue;
    close_between(from, (unsigned int)keep[i] - 1);
    from = (unsigned int)keep[i] + 1;
  }
  close_between(from, ~0u);
}

static void supervise(
  pid_t parent, const char *path, char *const argv[], char *const envp[], int stdin_read, int stdin_write,
  int stdout_read, int stdout_write, int report, int start_read, int start_write
) {
  // Every signal is blocked here (the parent blocked them around fork): kq's handlers never
  // run in this copy, and the two signals that matter are taken with sigwaitinfo.
  close(stdin_write);  // else the command would never see the end of its input
  if (stdout_read >= 0) close(stdout_read);
  if (start_write >= 0) close(start_write);
  int keep[] = {stdin_read, stdout_write, report, start_read};
  close_all_but(keep, 4);
  setpgid(0, 0);
  prctl(PR_SET_PDEATHSIG, SIGUSR1);
  if (getppid() != parent) _exit(0);  // kq died before the death signal was armed
  if (start_read >= 0) {
    // Held (kq_spawn_supervised_held): the command starts at kq's byte; end of file (kq let
    // it go unused, or died) ends this supervisor with nothing started.
    char go = 0;
    ssize_t n;
    do n = read(start_read, &go, 1); while (n < 0 && errno == EINTR);
    close(start_read);
    if (n != 1) {
      close(stdin_read);
      if (stdout_write >= 0) close(stdout_write);
      report_and_exit(report, KQ_COMMAND_NOT_STARTED, ECANCELED);
    }
  }
  // vfork: the command borrows this copy of kq until it execs, instead of a second copy of its
  // page tables being made and torn down per command. run_command makes only system calls
  // (descriptors and signal dispositions are the child's own: no CLONE_FILES or CLONE_SIGHAND)
  // and never returns; this supervisor waits meanwhile, its signals blocked.
  pid_t command = vfork();
  if (command == 0) run_command(path, argv, envp, stdin_read, stdout_write);
  int fork_error = errno;
  close(stdin_read);
  if (stdout_write >= 0) close(stdout_write);  // else kq would never see the end of the output
  if (command < 0) report_and_exit(report, KQ_COMMAND_NOT_STARTED, fork_error);
  sigset_t waited;
  sigemptyset(&waited);
  sigaddset(&waited, SIGCHLD);
  sigaddset(&waited, SIGUSR1);
  for (;;) {
    int number = sigwaitinfo(&waited, NULL);
    if (number == SIGUSR1) {
      // kq is gone: the whole group goes, this supervisor with it. Only a group of its own,
      // never the group kq was started in (the user's pipeline).
      if (getpgrp() == getpid()) kill(0, SIGKILL);
      kill(command, SIGKILL);
      _exit(0);
    }
    if (number != SIGCHLD) continue;
    int status = 0;
    if (waitpid(command, &status, WNOHANG) != command) continue;
    if (WIFEXITED(status)) report_and_exit(report, KQ_COMMAND_EXITED, WEXITSTATUS(status));
    if (WIFSIGNALED(status)) report_and_exit(report, KQ_COMMAND_KILLED, WTERMSIG(status));
  }
}

static int spawn(
  const char *path, char *const argv[], char *const envp[], int capture_output, int held, kq_supervised_command *out);

static void close_pair(int ends[2]) {
  if (ends[0] >= 0) close(ends[0]);
  if (ends[1] >= 0) close(ends[1]);
}

int kq_spawn_supervised(const char *path, char *const argv[], char *const envp[], kq_supervised_command *out) {
  return spawn(path, argv, envp, 0, 0, out);
}

int kq_spawn_supervised_capturing(
  const char *path, char *const argv[], char *const envp[], int capture_output, kq_supervised_command *out
) {
  return spawn(path, argv, envp, capture_output, 0, out);
}

int kq_spawn_supervised_held(
  const char *path, char *const argv[], char *const envp[], int capture_output, kq_supervised_command *out
) {
  return spawn(path, argv, envp, capture_output, 1, out);
}

static int spawn(
  const char *path, char *const argv[], char *const envp[], int capture_output, int held, kq_supervised_command *out
) {
  int input[2], report[2], output[2] = {-1, -1}, start[2] = {-1, -1};
  if (held && pipe2(start, O_CLOEXEC) != 0) return errno;
  if (pipe2(input, O_CLOEXEC) != 0) {
    int error = errno;
    close_pair(start);
    return error;
  }
  if (pipe2(report, O_CLOEXEC) != 0) {
    int error = errno;
    close(input[0]);
    close(input[1]);
    close_pair(start);
    return error;
  }
  if (capture_output && pipe2(output, O_CLOEXEC) != 0) {
    int error = errno;
    close(input[0]);
    close(input[1]);
    close(report[0]);
    close(report[1]);
    close_pair(start);
    return error;
  }
  if (capture_output) {
    // A filter's batch goes through in 1 MiB steps instead of 64 KiB ones: 16 times fewer
    // wake-ups of kq and the command (the most an unprivileged process may ask; a smaller
    // limit leaves the default).
    fcntl(input[1], F_SETPIPE_SZ, 1 << 20);
    fcntl(output[1], F_SETPIPE_SZ, 1 << 20);
  }
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  pid_t parent = getpid();
  pid_t supervisor = fork();
  if (supervisor == 0) {
    close(report[0]);
    supervise(parent, path, argv, envp, input[0], input[1], output[0], output[1], report[1], start[0], start[1]);
    _exit(0);
  }
  int error = supervisor < 0 ? errno : 0;
  pthread_sigmask(SIG_SETMASK, &previous, NULL);
  close(input[0]);
  close(report[1]);
  if (output[1] >= 0) close(output[1]);
  if (start[0] >= 0) close(start[0]);
  if (supervisor < 0) {
    close(input[1]);
    close(report[0]);
    if (output[0] >= 0) close(output[0]);
    if (start[1] >= 0) close(start[1]);
    return error;
  }
  setpgid(supervisor, supervisor);  // as the supervisor does: the group exists on return
  out->supervisor = supervisor;
  out->input = input[1];
  out->report = report[0];
  out->output = output[0];
  out->start = start[1];
  return 0;
}
