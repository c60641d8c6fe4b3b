#ifndef KQ_SPAWN_H
#define KQ_SPAWN_H
#include <stdint.h>
#include <sys/types.h>

/// A command started by kq_spawn_supervised.
typedef struct {
  /// The supervisor's pid, which is also the process group of the command and its children.
  pid_t supervisor;
  /// The write end of the command's stdin (close-on-exec).
  int input;
  /// Becomes readable when the supervisor is done: a kq_command_ending, then end of file.
  /// End of file alone means the supervisor itself was killed.
  int report;
  /// The read end of the command's stdout (close-on-exec) when kq_spawn_supervised_capturing
  /// was asked to capture it, else -1 (the command writes to kq's stdout).
  int output;
  /// kq_spawn_supervised_held: the descriptor to write one byte to when the command is to
  /// start (close-on-exec); closing it unwritten ends the supervisor, the command never
  /// started. Else -1.
  int start;
} kq_supervised_command;

/// How the command ended, as the supervisor reports it on `report`.
typedef struct {
  /// KQ_COMMAND_EXITED (value: the exit status), KQ_COMMAND_KILLED (value: the signal) or
  /// KQ_COMMAND_NOT_STARTED (value: fork's errno).
  int32_t how;
  int32_t value;
} kq_command_ending;

enum { KQ_COMMAND_EXITED = 1, KQ_COMMAND_KILLED = 2, KQ_COMMAND_NOT_STARTED = 3 };

/// Starts `path` with `argv` and `envp`, its stdin a new pipe, in a process group of its own
/// that a supervisor leads: a copy of this process (fork) that runs nothing but this file's
/// code, which is async-signal-safe as a child of a threaded process must be. The supervisor
/// waits for the command and reports how it ended. When this process dies first, even by
/// kill -9, the kernel tells the supervisor (PR_SET_PDEATHSIG), and it kills the whole group:
/// the command and the command's own children. The supervisor keeps this process's
/// descriptors, so a flock held here stays held until the command's group is gone.
///
/// The command starts with SIGINT, SIGTERM and SIGPIPE at their defaults and no signal
/// blocked. The death signal follows the thread that calls this, which must outlive the
/// command (kq calls it from the main thread). Returns 0, or an errno value.
int kq_spawn_supervised(const char *path, char *const argv[], char *const envp[], kq_supervised_command *out);

/// kq_spawn_supervised, and with `capture_output` non-zero the command's stdout is a new pipe
/// too, whose read end is `out->output`: its end of file comes when the command and every
/// process it left holding its stdout have closed it.
int kq_spawn_supervised_capturing(
  const char *path, char *const argv[], char *const envp[], int capture_output, kq_supervised_command *out);

/// kq_spawn_supervised_capturing, with the command held back: the supervisor is made (the
/// fork, the process group, the death signal) and waits until a byte is written to
/// `out->start`; then it starts the command as kq_spawn_supervised_capturing would. kq forks
/// the supervisor ahead of time and starts the command at once when its turn comes. End of
/// file on `start` (kq closed it unwritten, or died) makes the supervisor report
/// KQ_COMMAND_NOT_STARTED (ECANCELED) and exit. Like any supervisor it holds a copy of every
/// descriptor kq has open when it forks, so kq makes one only while no other command's stdin
/// (nor another held supervisor's `start`) is open: that command would never see its end.
int kq_spawn_supervised_held(
  const char *path, char *const argv[], char *const envp[], int capture_output, kq_supervised_command *out);

#endif
