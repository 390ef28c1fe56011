# SPDX-License-Identifier: MIT
# find_package(tangle) gives imported targets:
#   tangle::tasks  libtangle-tasks: the task runtime, task detection alone
#   tangle::tangle libtangle: the whole engine; linking it also watches every
#                  pthread lock of the program
#   tangle::cli    the tangle command
include("${CMAKE_CURRENT_LIST_DIR}/tangleTargets.cmake")
