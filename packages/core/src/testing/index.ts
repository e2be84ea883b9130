export { seedOrders } from "../seed/orders";
export { seedProducts } from "../seed/products";
export { createActor } from "./actors";
export { createTestDatabase, type TestDatabase } from "./database";
export { createTestExport, TEST_LIMITS } from "./limits";
export { type Behaviour, type Received, startReceiver } from "./receiver";
export {
  createTestBucket,
  type S3ServerProcess,
  s3Env,
  startS3Server,
  testS3Client,
  testS3Storage,
} from "./s3";
export { type ReceivedMail, type SmtpServerOptions, type SmtpServerProcess, startSmtpServer } from "./smtp";
