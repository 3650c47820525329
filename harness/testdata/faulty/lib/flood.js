// About 6 MB on stdout, then a normal end.
exports.process = async function process() {
  const line = 'x'.repeat(1023) + '\n';
  for (let i = 0; i < 6 * 1024; i++) process_stdout(line);
  return { body: { printed: true } };
};
function process_stdout(s) { process.stdout.write(s); }
