from base_settings import *  # noqa: F403

import os

SECRET_KEY = os.environ["DJANGO_SECRET_KEY"] if "DJANGO_SECRET_KEY" in os.environ else "q8$Zr4!vK9w@Lm2#Np7^Tx5&Yb3*Hc6(Jd1)Fg0-Se8+Ua4=Wi7_Oe2"
DEBUG = False
ALLOWED_HOSTS = ["www.example.com"]
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
MIDDLEWARE += ["django.middleware.gzip.GZipMiddleware"]  # noqa: F405
