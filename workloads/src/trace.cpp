// DESCRIPTION: placeholder, being written.
namespace mpsim {}
