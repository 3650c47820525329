exports.process = async function process() {
  setTimeout(() => { throw new Error('boom from a timer'); }, 10);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  return { body: {} };
};
