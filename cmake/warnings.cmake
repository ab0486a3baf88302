# socketchat_warnings(target): the project's warning set on one of its own targets,
# behind SOCKETCHAT_WARNINGS and SOCKETCHAT_WERROR; never on a parent's targets.
function(socketchat_warnings target)
  if(SOCKETCHAT_WARNINGS)
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow)
  endif()
  if(SOCKETCHAT_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
