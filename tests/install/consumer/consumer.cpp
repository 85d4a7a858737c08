// The C consumer compiled as C++ (see CMakeLists.txt).
#include "consumer.c"
