/* A shared library that is not a Tollgate plugin. */
int tollgate_plugin_entry_v0(void) { return 0; }
