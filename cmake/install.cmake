# SPDX-License-Identifier: MIT
# install.cmake: what `cmake --install` (and `make install PREFIX=...`)
# puts where: the tangle command, libtangle and libtangle-tasks with
# versioned SONAMEs, the public headers, pkg-config files, a CMake package
# (find_package(tangle) gives tangle::tangle, tangle::tasks and tangle::cli),
# man pages and bash completion. Every installed file that names another
# does so relative to itself, so `cmake --install --prefix DIR` relocates.
include(CMakePackageConfigHelpers)

set(TANGLE_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/tangle)
set(tangle_lib_targets tangle_preload)
if(TARGET tangle_tasks)
  list(APPEND tangle_lib_targets tangle_tasks)
endif()
set_target_properties(tangle PROPERTIES EXPORT_NAME cli)
install(TARGETS tangle ${tangle_lib_targets} EXPORT tangleTargets
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/tangle
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.h")
install(EXPORT tangleTargets NAMESPACE tangle:: DESTINATION ${TANGLE_CMAKE_DIR})
install(FILES ${PROJECT_SOURCE_DIR}/cmake/tangleConfig.cmake
  ${PROJECT_BINARY_DIR}/tangleConfigVersion.cmake DESTINATION ${TANGLE_CMAKE_DIR})
# 0.x releases promise nothing across minor versions.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/tangleConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)

# pkg-config: tangle (the whole engine: pthreads and tasks) and tangle-tasks
# (tasks alone). The prefix is found from the .pc file's own place.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(TANGLE_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH rel "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
  string(REGEX REPLACE "/$" "" rel "${rel}")
  set(TANGLE_PC_PREFIX "\${pcfiledir}/${rel}")
endif()
foreach(pc tangle tangle-tasks)
  if(pc STREQUAL "tangle-tasks" AND NOT TARGET tangle_tasks)
    continue()
  endif()
  if(pc STREQUAL "tangle")
    set(TANGLE_PC_DESC "deadlock detection for C: pthread hooks, task runtime and engine")
  else()
    set(TANGLE_PC_DESC "tangle's task runtime with task deadlock detection alone (no pthread hooks)")
  endif()
  set(TANGLE_PC_NAME ${pc})
  configure_file(${PROJECT_SOURCE_DIR}/cmake/tangle.pc.in ${PROJECT_BINARY_DIR}/${pc}.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/${pc}.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endforeach()

foreach(page tangle.1 tangle-tasks.3)
  if(EXISTS ${PROJECT_SOURCE_DIR}/docs/man/${page})
    string(REGEX REPLACE ".*\\." "" section ${page})
    install(FILES ${PROJECT_SOURCE_DIR}/docs/man/${page}
      DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
  endif()
endforeach()
if(EXISTS ${PROJECT_SOURCE_DIR}/completions/tangle.bash)
  install(FILES ${PROJECT_SOURCE_DIR}/completions/tangle.bash
    DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME tangle)
endif()
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}
  FILES_MATCHING PATTERN "*.md")
