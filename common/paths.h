/* paths.h: XDG base directories and creating private directories. */
#ifndef AG_PATHS_H
#define AG_PATHS_H

#include <stddef.h>

/* Each writes "<base>/ansigram" into out and returns 0, or -1 if it does
 * not fit. Bases: $XDG_DATA_HOME or ~/.local/share; $XDG_CONFIG_HOME or
 * ~/.config; $XDG_RUNTIME_DIR or /tmp (there as ansigram-<uid>). */
int ag_path_data_dir(char *out, size_t size);
int ag_path_config_dir(char *out, size_t size);
/* $XDG_STATE_HOME/ansigram, by default ~/.local/state/ansigram. */
int ag_path_state_dir(char *out, size_t size);
int ag_path_runtime_dir(char *out, size_t size);
/* mkdir -p with mode 0700 for each directory it creates. */
int ag_mkdirs(const char *path);

#endif
