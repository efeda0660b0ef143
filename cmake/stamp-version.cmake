# SPDX-License-Identifier: GPL-2.0-only
# Writes app/version.hpp at build time (not configure time), so a binary's
# stamp names the commit it was built from and whether tracked files had
# uncommitted changes then. configure_file leaves the file untouched when
# nothing changed, so nothing recompiles needlessly.
#   cmake -DIN=... -DOUT=... -DSRC=... -DPROJECT_VERSION=... -P stamp-version.cmake
execute_process(COMMAND git rev-parse --short=12 HEAD WORKING_DIRECTORY ${SRC}
                OUTPUT_VARIABLE AIOSIM_GIT_COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT AIOSIM_GIT_COMMIT)
  set(AIOSIM_GIT_COMMIT unknown)
endif()
execute_process(COMMAND git status --porcelain --untracked-files=no WORKING_DIRECTORY ${SRC}
                OUTPUT_VARIABLE aiosim_git_status OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(aiosim_git_status)
  set(AIOSIM_GIT_DIRTY 1)
else()
  set(AIOSIM_GIT_DIRTY 0)
endif()
configure_file(${IN} ${OUT} @ONLY)
