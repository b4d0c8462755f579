import os


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_TRACK_MODIFICATIONS = False


class DevelopmentConfig(Config):
    DEBUG = True
    SQLALCHEMY_DATABASE_URI = "postgresql://flaskapp:devpass_4f8a91c2@localhost:5432/flaskapp_dev"


class ProductionConfig(Config):
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL",
        "postgresql+psycopg2://flaskapp:n4LxZKSsen15teneZmHzbm1Srtj@prod-pg-01.internal:5432/flaskapp",
    )
    SQLALCHEMY_BINDS = {
        "users": "mysql+pymysql://users_svc:Gh7%40kLm%21q2@users-db.internal:3306/users?charset=utf8mb4",
        "audit": "mssql+pyodbc://audit:Au%3Ddit-9xQ@sqlsrv01.corp.local/audit?driver=ODBC+Driver+17+for+SQL+Server",
        "geo":   'postgresql+asyncpg://geo:h6BLWa1b9OVmmCsouQHjehc4N@geo-db/geo',
    }
    REDIS_URL = "rediss://default:iw7LVxhDJvte7BacTuI6v@redis-12345.c1.us-east-1-2.ec2.cloud.redislabs.com:12345"
    MONGO_URI = "mongodb+srv://flask_prod:KTyre00eAHBOi21Uv3Z2lIlw@cluster0.ab1cd.mongodb.net/flaskapp?retryWrites=true&w=majority"


class TestingConfig(Config):
    TESTING = True
    SQLALCHEMY_DATABASE_URI = "sqlite:///:memory:"


config = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
    "testing": TestingConfig,
}
