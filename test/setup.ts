// Loaded by mocha before any test file (.mocharc.json "require").
// The AWS SDK's notice that Node 20 support ends in 2027 would otherwise print in the middle of the test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
