exports.process = async function process() {
  process_exit(7);
};
function process_exit(code) { process.exit(code); }
