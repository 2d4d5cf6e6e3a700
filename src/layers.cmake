# The layers of src/ and what each may use: one table for the build
# (src/CMakeLists.txt links one library per layer in these directions only)
# and for cmake/check_layers.cmake, which fails the build on an include that
# points another way.
#
#   core                          domain types and rules, no I/O
#   storage, http, agent          adapters: databases; HTTP server and client; OpenClaw's files and chat
#   analyzer                      a tenant's website and the LLM that reads it
#   services                      use cases; owns the ports its adapters implement (services/provisioner.hpp)
#   cells, proxy, api             provisioner backends; the metering proxy; the admin API
#   app                           configuration, wiring, the command line
set(WINSTON_LAYERS core storage http agent analyzer services cells proxy api app)
set(WINSTON_LAYER_USES_core "")
set(WINSTON_LAYER_USES_storage core)
set(WINSTON_LAYER_USES_http core)
set(WINSTON_LAYER_USES_agent core http)
set(WINSTON_LAYER_USES_analyzer core http)
set(WINSTON_LAYER_USES_services core storage http agent analyzer)
set(WINSTON_LAYER_USES_cells core http agent services)
set(WINSTON_LAYER_USES_proxy core http services)
set(WINSTON_LAYER_USES_api core http agent services)
set(WINSTON_LAYER_USES_app core storage http agent analyzer services cells proxy api)
