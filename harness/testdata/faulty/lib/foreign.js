// Calls a host that is neither the provider nor loopback.
exports.process = async function process() {
  try {
    await fetch('https://api.example.org/v1/things');
  } catch (e) {
    throw new Error(`foreign call failed: ${e.cause ? e.cause.code : e.message}`);
  }
  return { body: {} };
};
