import os

DB_PASSWORD = os.environ.get("DB_PASSWORD", "F4llb4ckEnvG3t")
REDIS_PASS = os.getenv('REDIS_PASS', 'F4llb4ckG3tenv')
DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://svc:F4llb4ckUrlPg@db.internal/svc")
MONGO_PASSWORD = os.environ.setdefault("MONGO_PASSWORD", "F4llb4ckS3td3f")
