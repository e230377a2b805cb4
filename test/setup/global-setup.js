// Builds nothing and starts nothing global yet: suites start their own servers on free ports.
// Kept as the one place where shared test prerequisites are checked.
module.exports = async () => {};
