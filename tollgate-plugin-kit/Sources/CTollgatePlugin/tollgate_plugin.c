/* Compiles the ABI header once as C99 so a syntax error in it fails the
 * build. The ABI is the header; this file adds nothing. */
#include "tollgate_plugin.h"
