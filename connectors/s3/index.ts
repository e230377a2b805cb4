export { s3Connector } from './definition';
export { S3Connector } from './s3-connector';
export { s3ConfigSchema, type S3Config } from './config';
